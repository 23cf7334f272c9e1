/**
 * Sorts a failed CLI call into a kind: one of docker's own errors (what a user of docker
 * expects when commands race: a conflict, "in use", "No such …", "is not running"), or a
 * defect (a hang, a signal, "database is locked", a stack trace, "internal error", an
 * exit status docker never gives, or a message docker would not print).
 */
import type { GuardedResult } from './guarded-cli.ts';

export interface FailureKind {
  kind: string;
  /** Whether docker would fail the same way (the call lost a race or named something gone). */
  dockerStyle: boolean;
}

/** Defects, looked for first: their text may sit beside a docker-style message. */
const DEFECTS: readonly [string, RegExp][] = [
  ['database is locked', /database is locked|SQLITE_BUSY|SQLITE_LOCKED/i],
  ['stack trace', /^\s+at .+(:\d+:\d+\)?|\(native\)|\(<anonymous>\))$/m],
  ['internal error', /internal error/i],
];

/** docker's messages for the races and missing objects a mix of concurrent commands meets. */
const DOCKER_ERRORS: readonly [string, RegExp][] = [
  ['name in use', /Conflict\. The container name "\/[^"]+" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\./],
  ['image in use', /conflict: unable to (remove repository reference|delete) .* (is using its referenced image|is being used by (running|stopped) container|has dependent child images)/],
  ['image has several names', /conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is referenced in multiple repositories/],
  ['volume in use', /remove [^:]+: volume is in use - \[[0-9a-f]{64}(, [0-9a-f]{64})*\]/],
  ['No such image', /No such image: \S+|An image does not exist locally with the tag: \S+|tag does not exist: \S+/],
  ['No such container', /No such container: \S+/],
  ['removal in progress', /removal of container [0-9a-f]{64} is already in progress|Container is marked for removal and cannot be started/],
  ['no such volume', /get \S+: no such volume/],
  ['is not running', /Container [0-9a-f]{64} is not running/],
  ['manifest unknown', /manifest for \S+ not found: manifest unknown/],
];

export function failureKind(r: GuardedResult): FailureKind {
  if (r.hung) return { kind: 'hang', dockerStyle: false };
  if (r.signal !== null) return { kind: `killed by ${r.signal}`, dockerStyle: false };
  for (const [kind, re] of DEFECTS) if (re.test(r.stderr)) return { kind, dockerStyle: false };
  // docker exits 1 for a daemon's error, 125 when `run`/`create` fail before the container runs.
  if (r.status !== 1 && r.status !== 125) return { kind: `exit status ${r.status}`, dockerStyle: false };
  for (const [kind, re] of DOCKER_ERRORS) if (re.test(r.stderr)) return { kind, dockerStyle: true };
  return { kind: 'unexpected message', dockerStyle: false };
}
