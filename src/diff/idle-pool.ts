/**
 * Worker threads (with their rings) kept for the next layer, and ended once none was taken for
 * a while: a one-shot command exits long before that, but a long-running `system service`
 * would otherwise keep their isolates and rings resident (tens of MB) for good.
 */
export class IdlePool<T> {
  private readonly items: T[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly end: (item: T) => void, private readonly idleMs = 5_000) {}

  take(): T | undefined {
    return this.items.pop();
  }

  put(item: T): void {
    this.items.push(item);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.drain(), this.idleMs);
    // Never what keeps a process alive.
    this.timer.unref();
  }

  /** Ends every item kept. */
  drain(): void {
    clearTimeout(this.timer);
    for (const item of this.items.splice(0)) this.end(item);
  }

  get size(): number {
    return this.items.length;
  }
}
