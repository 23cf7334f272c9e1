/**
 * Crash points (as etcd's gofail or FoundationDB's buggify): a call placed right after each
 * durable step of a command (a blob written or published, index.json, a database commit, a
 * snapshot committed or removed, a mount, a bundle…), so a test can kill the process there
 * and prove that the store survives (invariant 4; docs/DURABILITY.md lists the names).
 *
 *   STRATA_CRASH_AT=<name>:<n>   SIGKILL itself at the n-th hit of point <name>
 *   STRATA_CRASH_AT=any:<n>      … at the n-th durable step of any kind
 *   STRATA_CRASH_TRACE=<file>    append each hit's name to <file>, one a line
 *
 * Hits are counted across the process. Both variables are taken out of the environment
 * when this module loads, so the processes a command starts (a container's supervisor and
 * the `rm` it may run) never inherit them: only the command they were given to crashes.
 * Unset, a crash point costs one test of a module-level constant.
 */
import { appendFileSync } from 'node:fs';

/** The durable steps, named as docs/DURABILITY.md lists them. */
export const CRASH_POINTS = [
  'blob-write', 'blob-publish', 'blob-delete', 'index-write', 'db-commit', 'snapshot-commit', 'snapshot-remove',
  'dir-remove', 'mount', 'unmount', 'bundle-write', 'container-state-write', 'container-start', 'output-write',
] as const;

export type CrashPointName = (typeof CRASH_POINTS)[number];

interface CrashPlan {
  point: CrashPointName | 'any';
  hit: number;
}

/** The plan `STRATA_CRASH_AT` names, or why it names none. */
export function parseCrashPlan(text: string): CrashPlan | string {
  const m = /^([a-z-]+):([1-9]\d*)$/.exec(text);
  const point = m?.[1] as CrashPointName | 'any' | undefined;
  if (m === null || point === undefined || (point !== 'any' && !CRASH_POINTS.includes(point))) {
    return `STRATA_CRASH_AT="${text}": expected <point>:<n> (n from 1), where <point> is any or one of ${CRASH_POINTS.join(', ')}`;
  }
  return { point, hit: Number(m[2]) };
}

const planText = process.env['STRATA_CRASH_AT'];
const traceFile = process.env['STRATA_CRASH_TRACE'];
delete process.env['STRATA_CRASH_AT'];
delete process.env['STRATA_CRASH_TRACE'];
const parsed = planText === undefined || planText === '' ? undefined : parseCrashPlan(planText);
const plan = typeof parsed === 'object' ? parsed : undefined;

/** Why `STRATA_CRASH_AT` is unusable (the CLI refuses to run then), or undefined. */
export const crashPlanError: string | undefined = typeof parsed === 'string' ? parsed : undefined;

const ARMED = plan !== undefined || (traceFile !== undefined && traceFile !== '');
let anyHits = 0;
let pointHits = 0;

/** Marks that durable step `name` just completed: see the top of this file. */
export function crashPoint(name: CrashPointName): void {
  if (!ARMED) return;
  if (traceFile) appendFileSync(traceFile, `${name}\n`);
  if (plan === undefined) return;
  anyHits++;
  if (plan.point === name) pointHits++;
  if ((plan.point === 'any' ? anyHits : pointHits) === plan.hit) process.kill(process.pid, 'SIGKILL');
}
