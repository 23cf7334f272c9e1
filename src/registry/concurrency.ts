/** A counting semaphore: at most `limit` transfers run at once; the rest wait in order. */
export class Limiter {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  }

  /** True when a task started now would have to wait. */
  get saturated(): boolean {
    return this.running >= this.limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }
}

/**
 * Runs every task; when one fails, aborts the others through `controller` and throws the
 * first error once all have settled (so nothing is still writing when the caller cleans up).
 */
export async function allOrAbort<T>(tasks: ((signal: AbortSignal) => Promise<T>)[], controller: AbortController): Promise<T[]> {
  let first: { error: unknown } | undefined;
  const settled = await Promise.allSettled(tasks.map(async (task) => {
    try {
      return await task(controller.signal);
    } catch (error) {
      if (first === undefined) {
        first = { error };
        controller.abort(error);
      }
      throw error;
    }
  }));
  if (first !== undefined) throw first.error;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
