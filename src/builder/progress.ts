/**
 * Build progress: the solver reports vertices (one per step or internal task) and this
 * module shows them as BuildKit's progress writers do.
 *
 *   plain  `#5 [2/3] RUN make` / `#5 0.412 output line` / `#5 DONE 1.2s`, one line per event,
 *          plus strata's own `#5 cache miss: file app.js changed` for every miss
 *   tty    a live view redrawn in place: `[+] Building 3.2s (5/9)` and one row per step,
 *          with the last lines of a running step's output under it
 *   quiet  nothing while it runs; the output of a step that failed is kept for the error
 *
 * Vertices are numbered in the order they start, as BuildKit numbers them.
 */
import type { Writable } from 'node:stream';

export type ProgressMode = 'plain' | 'tty' | 'quiet';

export interface Vertex {
  readonly id: number;
  readonly name: string;
  started: number;
  completed?: number;
  cached: boolean;
  error?: string;
  /** Output lines (RUN's stdout and stderr) with their time offsets. */
  logs: { at: number; line: string }[];
  /** Status lines (`transferring context: 2.3kB done`). */
  statuses: string[];
  /** Why the step missed the cache. */
  reason?: string;
  /** An unfinished output line. */
  partial: string;
}

export interface ProgressOptions {
  mode: ProgressMode;
  /** Where progress goes (stderr, as docker writes it). */
  out: Writable;
  /** Terminal width for the tty view. */
  columns?: number;
}

const MAX_KEPT_LOG_LINES = 200;

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

/** Chooses a mode from `--progress` and `-q` as docker's CLI does. */
export function progressMode(flag: string | undefined, quiet: boolean, isTty: boolean): ProgressMode {
  if (quiet) return 'quiet';
  const mode = flag ?? 'auto';
  if (mode === 'auto') return isTty ? 'tty' : 'plain';
  if (mode === 'plain' || mode === 'tty' || mode === 'quiet') return mode;
  if (mode === 'rawjson') return 'plain';
  throw new RangeError(`invalid progress mode ${mode}`);
}

export class Progress {
  private readonly vertices: Vertex[] = [];
  private readonly begin = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private drawnLines = 0;
  private finished = false;

  constructor(private readonly options: ProgressOptions) {
    if (options.mode === 'tty') {
      this.timer = setInterval(() => this.draw(), 150);
      this.timer.unref();
    }
  }

  get mode(): ProgressMode {
    return this.options.mode;
  }

  private plain(line: string): void {
    if (this.options.mode === 'plain') this.options.out.write(`${line}\n`);
  }

  /** Starts a vertex and returns it. */
  start(name: string): Vertex {
    const v: Vertex = { id: this.vertices.length + 1, name, started: Date.now(), cached: false, logs: [], statuses: [], partial: '' };
    this.vertices.push(v);
    this.plain(`#${v.id} ${name}`);
    return v;
  }

  /** A status line of an internal task (`transferring context: 1.2kB done`). */
  status(v: Vertex, text: string): void {
    v.statuses.push(text);
    this.plain(`#${v.id} ${text}`);
  }

  /** Why a step missed the cache (plain mode prints it; the tty view shows it beside the step). */
  miss(v: Vertex, reason: string): void {
    v.reason = reason;
    this.plain(`#${v.id} cache miss: ${reason}`);
  }

  /** Output of a running step, in arbitrary chunks. */
  log(v: Vertex, chunk: Buffer | string): void {
    const text = v.partial + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const lines = text.split('\n');
    v.partial = lines.pop() ?? '';
    for (const line of lines) this.logLine(v, line);
  }

  private logLine(v: Vertex, line: string): void {
    const at = Date.now() - v.started;
    v.logs.push({ at, line });
    if (v.logs.length > MAX_KEPT_LOG_LINES) v.logs.splice(0, v.logs.length - MAX_KEPT_LOG_LINES);
    this.plain(`#${v.id} ${(at / 1000).toFixed(3)} ${line}`);
  }

  private flushPartial(v: Vertex): void {
    if (v.partial !== '') {
      const line = v.partial;
      v.partial = '';
      this.logLine(v, line);
    }
  }

  cached(v: Vertex): void {
    v.cached = true;
    v.completed = Date.now();
    this.plain(`#${v.id} CACHED\n`);
  }

  done(v: Vertex): void {
    this.flushPartial(v);
    v.completed = Date.now();
    this.plain(`#${v.id} DONE ${seconds(v.completed - v.started)}s\n`);
  }

  fail(v: Vertex, message: string): void {
    this.flushPartial(v);
    v.completed = Date.now();
    v.error = message;
    this.plain(`#${v.id} ERROR: ${message}`);
  }

  /** The last lines a vertex printed (for the error report of a failed step). */
  lastLines(v: Vertex, n = 10): string[] {
    return v.logs.slice(-n).map((l) => l.line);
  }

  /** Stops the live view, drawing it one last time. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.options.mode === 'tty') this.draw(true);
  }

  private draw(final = false): void {
    const out = this.options.out;
    const width = this.options.columns !== undefined && this.options.columns > 20 ? this.options.columns : 80;
    const now = Date.now();
    const done = this.vertices.filter((v) => v.completed !== undefined).length;
    const lines: string[] = [];
    const state = final ? (this.vertices.some((v) => v.error !== undefined) ? 'FINISHED with errors' : 'FINISHED') : '';
    lines.push(`[+] Building ${seconds(now - this.begin)}s (${done}/${this.vertices.length})${state === '' ? '' : ` ${state}`}`);
    for (const v of this.vertices) {
      // BuildKit's rows: ` => CACHED [2/5] COPY . .   0.0s`, ` => ERROR [3/5] RUN make   1.2s`.
      const time = `${seconds((v.completed ?? now) - v.started)}s`;
      const state = v.error !== undefined ? 'ERROR ' : v.cached ? 'CACHED ' : '';
      let label = ` => ${state}${v.name}`;
      const room = width - time.length - 2;
      if (label.length > room) label = `${label.slice(0, Math.max(room - 3, 4))}...`;
      lines.push(`${label.padEnd(room)} ${time}`.slice(0, width));
      if (v.completed === undefined || v.error !== undefined) {
        const tail = v.logs.slice(-6);
        for (const l of tail) lines.push(` => => # ${l.line}`.slice(0, width));
      }
    }
    let text = '';
    if (this.drawnLines > 0) text += `\x1b[${this.drawnLines}A`;
    for (const l of lines) text += `\x1b[2K${l}\n`;
    const extra = this.drawnLines - lines.length;
    if (extra > 0) text += `${'\x1b[2K\n'.repeat(extra)}\x1b[${extra}A`;
    this.drawnLines = lines.length;
    out.write(text);
  }
}
