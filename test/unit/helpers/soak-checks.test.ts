// The soak test's own checks: what the store must hold after concurrent calls (FactLog), the
// removals rmi and prune print, and which failures are docker's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FactLog, removalsIn } from '../../helpers/fact-log.ts';
import { failureKind } from '../../helpers/failure-kinds.ts';
import type { GuardedResult } from '../../helpers/guarded-cli.ts';

const at = (start: number, end: number): { start: number; end: number; args: string[] } => ({ start, end, args: [`${start}-${end}`] });

test('a key is decided by a last fact that started after every other ended; overlapping last facts decide nothing', () => {
  const log = new FactLog();
  log.note('made, then removed', 'x', at(0, 10));
  log.note('made, then removed', undefined, at(11, 20));
  log.note('removed while made', 'x', at(0, 10));
  log.note('removed while made', undefined, at(5, 20));
  log.note('made again later', undefined, at(0, 10));
  log.note('made again later', 'y', at(30, 40));
  log.note('an early long call', 'x', at(0, 100));
  log.note('an early long call', 'y', at(50, 60));
  const { decided, undecided } = log.settled();
  assert.equal(decided.get('made, then removed')?.value, undefined);
  assert.ok(decided.has('made, then removed'));
  assert.equal(decided.get('made again later')?.value, 'y');
  assert.deepEqual(undecided.sort(), ['an early long call', 'removed while made']);
});

test('removals are read from rmi\'s and prune\'s lines', () => {
  const id = `sha256:${'a'.repeat(64)}`;
  const prune = `Deleted Images:\nuntagged: r/x:1\nuntagged: r/x@sha256:${'b'.repeat(64)}\ndeleted: ${id}\n\nTotal reclaimed space: 0B\n`;
  assert.deepEqual(removalsIn(prune), { untagged: ['r/x:1', `r/x@sha256:${'b'.repeat(64)}`], deleted: [id] });
  assert.deepEqual(removalsIn(`Untagged: r/y:2\nDeleted: ${id}\n`), { untagged: ['r/y:2'], deleted: [id] });
});

test('docker\'s errors are told from defects', () => {
  const result = (status: number, stderr: string, extra: Partial<GuardedResult> = {}): GuardedResult => ({ args: ['x'], start: 0, end: 1, hung: false, signal: null, status, stdout: '', stderr, ...extra });
  const id = 'c'.repeat(64);
  assert.deepEqual(failureKind(result(125, `Error: Conflict. The container name "/a1" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.\n`)), { kind: 'name in use', dockerStyle: true });
  assert.deepEqual(failureKind(result(1, 'Error: No such image: r/x:1\n')), { kind: 'No such image', dockerStyle: true });
  assert.deepEqual(failureKind(result(1, 'Error: internal error: FOREIGN KEY constraint failed\n')), { kind: 'internal error', dockerStyle: false });
  assert.deepEqual(failureKind(result(1, 'Error: database is locked\n')), { kind: 'database is locked', dockerStyle: false });
  assert.deepEqual(failureKind(result(1, 'TypeError: x is undefined\n    at f (/a/b.js:1:2)\n')), { kind: 'stack trace', dockerStyle: false });
  assert.deepEqual(failureKind(result(2, 'Error: No such image: r/x:1\n')), { kind: 'exit status 2', dockerStyle: false });
  assert.deepEqual(failureKind(result(1, 'Error: something else\n')), { kind: 'unexpected message', dockerStyle: false });
  assert.deepEqual(failureKind(result(-1, '', { hung: true })), { kind: 'hang', dockerStyle: false });
});
