/**
 * What pull and push report while they work, in the shape of docker's JSON messages so a
 * front end can render docker's output exactly: a `message` is a line of its own
 * (`1.0: Pulling from library/busybox`, `Digest: sha256:…`); a `progress` updates the line
 * of one layer (`a3ed95caeb02: Downloading`, with bytes done and total when known).
 */

export type ProgressEvent =
  | { type: 'message'; id?: string; text: string }
  | { type: 'progress'; id: string; action: string; current?: number; total?: number };

export type ProgressListener = (event: ProgressEvent) => void;

/** Sends progress to a listener, throttling byte updates of each line to one per `intervalMs`. */
export class ProgressReporter {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly listener: ProgressListener | undefined,
    private readonly intervalMs = 100,
  ) {}

  message(text: string, id?: string): void {
    this.listener?.({ type: 'message', text, ...(id !== undefined ? { id } : {}) });
  }

  update(id: string, action: string): void {
    this.last.delete(id);
    this.listener?.({ type: 'progress', id, action });
  }

  /** A byte count; sent at most every `intervalMs` per line, and always when complete. */
  bytes(id: string, action: string, current: number, total: number | undefined): void {
    if (this.listener === undefined) return;
    const now = Date.now();
    const done = total !== undefined && current >= total;
    const previous = this.last.get(id);
    if (!done && previous !== undefined && now - previous < this.intervalMs) return;
    this.last.set(id, now);
    this.listener({ type: 'progress', id, action, current, ...(total !== undefined ? { total } : {}) });
  }
}
