/**
 * Reading a container's docker json-file log (`<id>-json.log`, written by the supervisor):
 * one JSON object per line, `{"log":"…\n","stream":"stdout"|"stderr","time":"…Z"}`,
 * for `logs` with `--tail`, `--since`, `--until`, `-t` and `-f`.
 */
import { closeSync, fstatSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { errnoOf, fromSystemError, invalidArgument } from '../errdefs/index.ts';
import { parseTimestamp } from '../oci/index.ts';

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** The text, with its newline (a line longer than 16 KiB comes in parts without one). */
  log: string;
  /** The time as written (RFC 3339, nanoseconds). */
  time: string;
  /** The same, in nanoseconds since the epoch. */
  timeNs: bigint;
}

export interface ReadLogsOptions {
  /** Keep reading as the log grows until `done()` says the container has stopped. */
  follow?: boolean;
  /** Only the last N entries (docker's `--tail`); undefined or negative is all. */
  tail?: number;
  /** Entries at or after this time (ns since the epoch; see `parseLogTime`). */
  since?: bigint;
  /** Entries before this time. */
  until?: bigint;
  /** For `follow`: true once no more output will come (the container exited). */
  done?: () => boolean | Promise<boolean>;
  /** Stops reading. */
  signal?: AbortSignal;
  /**
   * How often to check `done()` while following with no new data (ms), besides whenever the
   * log's directory changes (an append, the exit recorded beside it).
   */
  pollInterval?: number;
}

/**
 * Parses an RFC 3339 time with up to nine fractional digits into ns since the epoch.
 * @throws invalid-argument for anything else.
 */
export function parseRfc3339Nano(text: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (m === null) throw invalidArgument(`invalid time ${JSON.stringify(text)}`);
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) throw invalidArgument(`invalid time ${JSON.stringify(text)}`);
  return BigInt(seconds) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** docker logs -t's stamp: RFC 3339 UTC with exactly nine fractional digits. */
export function formatRfc3339NanoFixed(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const iso = new Date(ms).toISOString().slice(0, 19);
  return `${iso}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

/**
 * docker's `--since`/`--until` values (oci/'s `parseTimestamp`: Unix seconds, Go durations
 * before `now`, RFC 3339 dates and times), in nanoseconds since the epoch.
 * @throws invalid-argument naming the value.
 */
export function parseLogTime(value: string, nowMs: number = Date.now()): bigint {
  const ns = parseTimestamp(value, nowMs);
  if (ns === undefined) throw invalidArgument(`failed to parse value as time or duration: "${value}"`);
  return ns;
}

function parseEntry(line: string): LogEntry | undefined {
  if (line.trim() === '') return undefined;
  try {
    const e = JSON.parse(line) as { log?: unknown; stream?: unknown; time?: unknown };
    if (typeof e.log !== 'string' || typeof e.time !== 'string') return undefined;
    const stream = e.stream === 'stderr' ? 'stderr' : 'stdout';
    return { stream, log: e.log, time: e.time, timeNs: parseRfc3339Nano(e.time) };
  } catch {
    // A torn last line (the writer mid-append) or garbage: docker skips it too.
    return undefined;
  }
}

/** Byte offset where the last `n` complete lines start (reads backwards in chunks). */
function tailOffset(fd: number, size: number, n: number): number {
  if (n <= 0) return size;
  let pos = size;
  let newlines = 0;
  const chunk = Buffer.alloc(64 * 1024);
  // A trailing newline ends the last line; it doesn't start another.
  let skipLast = true;
  while (pos > 0) {
    const len = Math.min(chunk.length, pos);
    pos -= len;
    readSync(fd, chunk, 0, len, pos);
    for (let i = len - 1; i >= 0; i--) {
      if (chunk[i] !== 0x0a) { skipLast = false; continue; }
      if (skipLast) { skipLast = false; continue; }
      newlines++;
      if (newlines === n) return pos + i + 1;
    }
  }
  return 0;
}

// The abort listener goes with its timer: a follow polls for hours in the API service.
const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((resolve) => {
  const onAbort = (): void => {
    clearTimeout(t);
    resolve();
  };
  const t = setTimeout(() => {
    signal?.removeEventListener('abort', onAbort);
    resolve();
  }, ms);
  signal?.addEventListener('abort', onAbort, { once: true });
});

/**
 * The entries of a json-file log, oldest first, filtered by `since`/`until` and limited to
 * the last `tail`. With `follow`, keeps yielding appended entries until `done()` returns
 * true (checked whenever the log is idle) or `signal` aborts; the entries written before
 * the end are all yielded.
 * @throws not-found when the log doesn't exist.
 */
export async function* readLogs(path: string, options: ReadLogsOptions = {}): AsyncGenerator<LogEntry> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw fromSystemError(err, `open log ${path}`);
  }
  let watcher: FSWatcher | undefined;
  let wake: (() => void) | undefined;
  try {
    const size = fstatSync(fd).size;
    let pos = options.tail !== undefined && options.tail >= 0 ? tailOffset(fd, size, options.tail) : 0;
    let pending = '';
    const buf = Buffer.alloc(256 * 1024);
    const take = (entry: LogEntry | undefined): entry is LogEntry => {
      if (entry === undefined) return false;
      if (options.since !== undefined && entry.timeNs < options.since) return false;
      if (options.until !== undefined && entry.timeNs >= options.until) return false;
      return true;
    };
    const readMore = function* (): Generator<LogEntry> {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n === 0) return;
        pos += n;
        pending += buf.subarray(0, n).toString('utf8');
        let nl = pending.indexOf('\n');
        while (nl >= 0) {
          const entry = parseEntry(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
          if (take(entry)) yield entry;
          nl = pending.indexOf('\n');
        }
      }
    };
    // Keep the first read at the tail's size so a concurrently growing log doesn't break --tail.
    yield* readMore();
    if (!options.follow) return;
    try {
      // The log's directory, not just the log: the supervisor's state file beside it changes
      // when the container exits, so `done()` is asked then rather than on a short timer.
      watcher = watch(dirname(path), () => wake?.());
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
    for (;;) {
      if (options.signal?.aborted) return;
      const before = pos;
      yield* readMore();
      if (pos !== before) continue;
      if (options.done !== undefined && (await options.done())) {
        // The writer is finished: whatever it appended before saying so is read, then stop.
        yield* readMore();
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        void sleep(options.pollInterval ?? 250, options.signal).then(resolve);
      });
      wake = undefined;
    }
  } finally {
    watcher?.close();
    closeSync(fd);
  }
}

/** One entry as `docker logs` prints it: the text, after the stamp with `-t`. */
export function formatLogEntry(entry: LogEntry, options: { timestamps?: boolean } = {}): string {
  return options.timestamps ? `${formatRfc3339NanoFixed(entry.timeNs)} ${entry.log}` : entry.log;
}
