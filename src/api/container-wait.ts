/**
 * `POST /containers/{id}/wait`'s conditions, as dockerd has them: `not-running` (now, if it
 * isn't), `next-exit` (the exit after this call), `removed` (once its record is gone).
 * The state is read from the store, so a container another process started or removed is
 * seen as well; the exit status of one the service itself saw end is remembered for
 * `removed`.
 */
import { invalidArgument } from '../errdefs/index.ts';
import type { Container, ContainerManager } from '../containers/index.ts';
import type { ContainerSessions } from './container-sessions.ts';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export function waitCondition(value: string | null): WaitCondition {
  if (value === null || value === '' || value === 'not-running') return 'not-running';
  if (value === 'next-exit' || value === 'removed') return value;
  throw invalidArgument(`invalid condition: "${value}"`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the exit status once the condition holds; undefined when `signal` fired first. */
export async function waitFor(containers: ContainerManager, sessions: ContainerSessions, c: Container, condition: WaitCondition, signal: AbortSignal): Promise<number | undefined> {
  const first = await containers.status(c);
  let lastExit = first.ExitCode;
  let delay = 5;
  for (;;) {
    const current = containers.lookup(c.id);
    if (current === undefined) {
      if (condition === 'removed') return sessions.lastExit(c.id) ?? lastExit;
      return sessions.lastExit(c.id) ?? lastExit;
    }
    const status = await containers.status(current);
    if (!status.Running) {
      lastExit = status.ExitCode;
      const exitedSince = status.FinishedAt !== first.FinishedAt && status.Status !== 'created';
      if (condition === 'not-running') return status.ExitCode;
      if (condition === 'next-exit' && exitedSince) return status.ExitCode;
    }
    if (signal.aborted) return undefined;
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
}
