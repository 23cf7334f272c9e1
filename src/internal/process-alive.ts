import { readFileSync } from 'node:fs';

/**
 * Whether a process exists (owned by anyone) and has not exited: signal 0 probes without
 * sending anything, and a zombie (killed, not yet reaped by its parent) counts as gone.
 */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !zombie(pid);
}

/** State field of /proc/<pid>/stat: Z (zombie) or X (dead) once it exited. */
function zombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    // ENOENT: reaped since the probe. Anything else (no /proc): trust the probe.
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}
