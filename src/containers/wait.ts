/**
 * Waiting for a container as docker's `wait` conditions have it: `not-running` (now, if it
 * isn't), `next-exit` (the exit after the call), `removed` (once its record is gone). The
 * state is read from the store, so a container another process starts or removes is seen
 * too (the CLI's `wait`, the Engine API's `POST /containers/{id}/wait`).
 */
import { invalidArgument } from '../errdefs/index.ts';
import type { Container } from './container.ts';
import type { ContainerStatus } from './state.ts';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** What waiting needs of the container manager. */
export interface WaitSource {
  lookup(ref: string): Container | undefined;
  status(c: Container): Promise<ContainerStatus>;
}

/** docker's `condition` value; empty is `not-running`. @throws invalid-argument naming it. */
export function waitCondition(value: string | null): WaitCondition {
  if (value === null || value === '' || value === 'not-running') return 'not-running';
  if (value === 'next-exit' || value === 'removed') return value;
  throw invalidArgument(`invalid condition: "${value}"`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves with the exit status once the condition holds; undefined when `signal` fired
 * first. `knownExit` gives the status of a container whose record went before it was seen
 * exited (a `--rm` container its caller removed).
 */
export async function waitFor(
  containers: WaitSource,
  c: Container,
  condition: WaitCondition,
  options: { signal?: AbortSignal; knownExit?: (id: string) => number | undefined } = {},
): Promise<number | undefined> {
  const first = await containers.status(c);
  let lastExit = first.ExitCode;
  let delay = 5;
  for (;;) {
    const current = containers.lookup(c.id);
    if (current === undefined) return options.knownExit?.(c.id) ?? lastExit;
    const status = await containers.status(current);
    if (!status.Running) {
      lastExit = status.ExitCode;
      if (condition === 'not-running') return status.ExitCode;
      const exitedSince = status.FinishedAt !== first.FinishedAt && status.Status !== 'created';
      if (condition === 'next-exit' && exitedSince) return status.ExitCode;
    }
    if (options.signal?.aborted) return undefined;
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
}
