// What every command that ran out of space on the store's disk must leave behind: one line
// naming the filesystem that is full, and the store as it was (files, rows, `system check`,
// mounts under it, processes working on it).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { storeContents, type StoreContents } from './store-contents.ts';
import { strata } from './strata-cli.ts';

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export type WritePhase = 'blob' | 'snapshot' | 'database';

/**
 * Which of the store's writes ran out of space, from an error message of the form
 * `<prefix>write to <root>/content/ingest: …`, `<prefix>write to <root>/snapshots/overlay: …`
 * or `<prefix>write <root>/metadata.db: …`, ending `no space left on device`. Fails the
 * test on any other message.
 */
export function storeWriteFailure(message: string, root: string, prefix = ''): WritePhase {
  const pattern = new RegExp(
    `^${prefix}(write to ${escaped(root)}/(content/ingest|snapshots/overlay)(: [^\\n]*)?|write ${escaped(root)}/metadata\\.db): no space left on device$`,
  );
  const m = pattern.exec(message);
  assert.ok(m, `not a full store named: ${JSON.stringify(message)}`);
  if (m[2] === 'content/ingest') return 'blob';
  if (m[2] === 'snapshots/overlay') return 'snapshot';
  return 'database';
}

/** Mount points at or under `path`, from the kernel's table. */
export function mountsUnder(path: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === path || p.startsWith(`${path}/`));
}

/** Processes whose command line names `path` (strata, its supervisors, runc, a container's init). */
export function processesNaming(path: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      continue; // gone meanwhile
    }
    if (cmdline.includes(path)) found.push(`${pid}: ${cmdline}`);
  }
  return found;
}

/** What a command that fails must leave as it was: the store, and what is mounted and running on it. */
export interface StoreState extends StoreContents {
  mounts: string[];
  processes: string[];
}

export function storeState(root: string): StoreState {
  return { ...storeContents(root), mounts: mountsUnder(root), processes: processesNaming(root) };
}

/**
 * The store after a failed command is the store before it: same files and sizes (scratch
 * directories and ingest empty again), same rows (no lease, blob, layer, snapshot or image
 * record added), `system check` as clean; the same mounts and processes on it.
 */
export function assertLeftAsItWas(root: string, before: StoreState, what: string, options: { ignoredTables?: string[] } = {}): void {
  const check = strata(root, ['system', 'check']);
  assert.equal(check.status, 0, `after ${what}, system check says:\n${check.stdout}${check.stderr}`);
  const compared = (state: StoreState): StoreState => {
    const rows = { ...state.rows };
    for (const table of options.ignoredTables ?? []) delete rows[table];
    // The database's reserve goes whenever a command opens the store on a nearly full disk.
    return { ...state, rows, files: state.files.filter((f) => !f.startsWith('metadata.reserve ')) };
  };
  assert.deepEqual(compared(storeState(root)), compared(before), `${what} changed the store`);
}

/** `STRATA_LONG_TESTS=1`: searches the space a command needs finely, and tries every case. */
export const LONG_TESTS = process.env['STRATA_LONG_TESTS'] === '1';

/**
 * Runs `attempt` with `low` bytes free (it must fail), with `high` (it must succeed), and by
 * bisection between them down to `resolution` (32 KiB with STRATA_LONG_TESTS=1, else 1 MiB),
 * so that the last writes before success are tried too. `attempt` checks each failure and
 * returns the write that failed, or undefined when the command succeeded.
 * @returns the writes seen failing, and the least free space seen to succeed
 */
export function searchFailures(attempt: (free: number) => WritePhase | undefined, low: number, high: number): { phases: Set<WritePhase>; needed: number } {
  const resolution = LONG_TESTS ? 32 * 1024 : 1024 * 1024;
  const phases = new Set<WritePhase>();
  const first = attempt(low);
  assert.ok(first !== undefined, `the command succeeded with ${low} bytes free`);
  phases.add(first);
  assert.equal(attempt(high), undefined, `the command fails with ${high} bytes free`);
  while (high - low > resolution) {
    const middle = Math.floor((low + high) / 2 / 4096) * 4096;
    const phase = attempt(middle);
    if (phase === undefined) high = middle;
    else {
      low = middle;
      phases.add(phase);
    }
  }
  return { phases, needed: high };
}
