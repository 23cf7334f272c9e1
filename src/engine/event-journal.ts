/**
 * The store's events journal: every change a command makes to the store (pull, tag, rmi,
 * volume create…), whoever made it (the CLI or the Engine API service), as docker's event
 * messages, one JSON line each in `<root>/events/journal.jsonl`. The service tails it, so
 * `docker events` shows what the CLI did beside it; `since`/`until` read it back.
 *
 * Cheap by design: one append (O_APPEND, one write) per event and no fsync. Events are a
 * view of changes the database already made durable; a crash can lose the last few lines,
 * never a record (docs/DURABILITY.md). Bounded: past MAX_BYTES the file is renamed to
 * journal.1.jsonl (the previous generation is dropped), so two generations at most are kept.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, watch, writeSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export interface StoreEvent {
  Type: 'image' | 'volume' | 'container' | 'network' | 'builder';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}

/** A generation is rotated out past this size (about 2,000 events). */
export const JOURNAL_MAX_BYTES = 512 * 1024;

const CURRENT = 'journal.jsonl';
const PREVIOUS = 'journal.1.jsonl';

/** How every line starts (`Type` is the first key written). */
const EVENT_START = '{"Type":';

function parseLines(text: string): StoreEvent[] {
  const events: StoreEvent[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      events.push(JSON.parse(line) as StoreEvent);
    } catch {
      // A line cut short by a crash has the next event appended to it: keep that one.
      const next = line.lastIndexOf(EVENT_START);
      if (next <= 0) continue;
      try {
        events.push(JSON.parse(line.slice(next)) as StoreEvent);
      } catch {
        // Nothing whole in it.
      }
    }
  }
  return events;
}

function inode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

export class EventJournal {
  private readonly current: string;
  private readonly previous: string;

  constructor(readonly dir: string, private readonly maxBytes = JOURNAL_MAX_BYTES) {
    this.current = join(dir, CURRENT);
    this.previous = join(dir, PREVIOUS);
  }

  /** The file appended to (the container supervisor appends `die` to it too). */
  get file(): string {
    return this.current;
  }

  /** Appends one event. Never fails the command that made the change: the change is done. */
  append(type: StoreEvent['Type'], action: string, id: string, attributes: Record<string, string> = {}): StoreEvent {
    const nanos = BigInt(Date.now()) * 1_000_000n;
    const event: StoreEvent = { Type: type, Action: action, Actor: { ID: id, Attributes: attributes }, scope: 'local', time: Number(nanos / 1_000_000_000n), timeNano: Number(nanos) };
    try {
      this.write(`${JSON.stringify(event)}\n`);
    } catch {
      // A full disk or a read-only store: the event is lost, the change stands.
    }
    return event;
  }

  private write(line: string): void {
    let fd: number;
    try {
      fd = openSync(this.current, 'a', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      fd = openSync(this.current, 'a', 0o600);
    }
    try {
      // One write of a whole line: concurrent appenders (O_APPEND) never interleave inside it.
      writeSync(fd, line);
      const written = fstatSync(fd);
      // Rotate only the file we wrote to: another process may have rotated it already.
      if (written.size > this.maxBytes && inode(this.current) === written.ino) renameSync(this.current, this.previous);
    } finally {
      closeSync(fd);
    }
  }

  /** Every event kept, oldest first. */
  read(): StoreEvent[] {
    const text = (path: string): string => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return '';
      }
    };
    return [...parseLines(text(this.previous)), ...parseLines(text(this.current))];
  }

  /**
   * Calls `onEvent` for each event appended from now on, by any process, until the returned
   * function is called. inotify on the journal's directory wakes it, so it costs nothing while
   * nothing happens; `poke()` reads at once (after an append of this process).
   */
  tail(onEvent: (event: StoreEvent) => void): { stop: () => void; poke: () => void } {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    let cursor = { ino: inode(this.current), offset: this.sizeOf(this.current) };
    const readFrom = (path: string, offset: number): { lines: string; next: number } => {
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch {
        return { lines: '', next: offset };
      }
      try {
        const size = fstatSync(fd).size;
        if (size <= offset) return { lines: '', next: offset };
        const buffer = Buffer.alloc(size - offset);
        const n = readSync(fd, buffer, 0, buffer.length, offset);
        const text = buffer.subarray(0, n).toString('utf8');
        // Only whole lines: a line being written is read on the next wake.
        const end = text.lastIndexOf('\n') + 1;
        return { lines: text.slice(0, end), next: offset + Buffer.byteLength(text.slice(0, end)) };
      } finally {
        closeSync(fd);
      }
    };
    const drain = (): void => {
      const ino = inode(this.current);
      if (ino !== cursor.ino) {
        // Rotated: finish the generation we were reading, now under the previous name.
        if (cursor.ino !== undefined && inode(this.previous) === cursor.ino) {
          for (const e of parseLines(readFrom(this.previous, cursor.offset).lines)) onEvent(e);
        }
        cursor = { ino, offset: 0 };
      }
      if (ino === undefined) return;
      const { lines, next } = readFrom(this.current, cursor.offset);
      cursor.offset = next;
      for (const e of parseLines(lines)) onEvent(e);
    };
    const watcher: FSWatcher = watch(this.dir, { persistent: false }, () => drain());
    watcher.on('error', () => undefined);
    return { stop: () => watcher.close(), poke: drain };
  }

  private sizeOf(path: string): number {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  }
}
