/**
 * Go's text/tabwriter (elastic tabstops) as docker/cli's fork runs it: cells end at
 * `\t`, a column is the run of consecutive lines that have a cell there, each column
 * is as wide as its widest cell plus the padding (at least `minWidth`), the text after
 * a line's last tab is not padded, and widths count terminal columns (wide characters
 * take two), not bytes.
 */
import { stringWidth } from './text-width.ts';

export interface TabWriterOptions {
  /** Minimal cell width, padding included. docker: 10. */
  minWidth: number;
  /** Spaces added to the widest cell of a column. docker: 3. */
  padding: number;
  /** Pad character. docker: ' '. */
  padChar?: string;
  /** Right-align cell contents (Go's AlignRight). */
  alignRight?: boolean;
  /** Treat columns made only of empty `\v`-terminated cells as absent (Go's DiscardEmptyColumns). */
  discardEmptyColumns?: boolean;
  /** Print `|` between columns (Go's Debug flag). */
  debug?: boolean;
}

/** One line's cells: every cell but the last ends in a tab; `nl` if the line ended in a newline. */
interface Line {
  cells: string[];
  widths: number[];
  /** Per cell: terminated by a hard tab (`\t`) rather than `\v`; null when every cell but the last is. */
  htab: boolean[] | null;
  nl: boolean;
}

/** docker/cli's table settings: `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`. */
export const DOCKER_TABLE: TabWriterOptions = { minWidth: 10, padding: 3, padChar: ' ' };

/**
 * Buffers text and aligns its tab-separated cells. Call `write` any number of
 * times, then `flush` to get the aligned text.
 */
export class TabWriter {
  private lines: Line[] = [];
  /** Text after the last line break. */
  private pending = '';
  private widths: number[] = [];
  private chunks: string[] = [];
  private readonly padChar: string;

  constructor(private readonly options: TabWriterOptions = DOCKER_TABLE) {
    this.padChar = options.padChar ?? ' ';
  }

  write(text: string): void {
    text = this.pending + text;
    const hasFormFeed = text.includes('\f');
    let start = 0;
    for (;;) {
      const nl = hasFormFeed ? nextBreak(text, start) : text.indexOf('\n', start);
      if (nl < 0) break;
      const ff = text.charCodeAt(nl) === 12;
      const n = this.addLine(text.slice(start, nl), true);
      start = nl + 1;
      // A line of one cell can't affect the columns below it (and \f ends all columns): flush.
      if (ff || n === 1) {
        this.flushLines();
        if (ff && this.options.debug === true) this.chunks.push('---\n');
      }
    }
    this.pending = text.slice(start);
  }

  /** Formats everything written so far and returns the text (resetting the writer). */
  flush(): string {
    if (this.pending.length > 0) this.addLine(this.pending, false);
    this.pending = '';
    this.flushLines();
    const out = this.chunks.join('');
    this.chunks = [];
    return out;
  }

  private addLine(text: string, nl: boolean): number {
    let cells: string[];
    let htab: boolean[] | null = null;
    if (text.indexOf('\v') < 0) {
      cells = text.split('\t');
    } else {
      cells = [];
      htab = [];
      let from = 0;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 9 || c === 11) {
          cells.push(text.slice(from, i));
          htab.push(c === 9);
          from = i + 1;
        }
      }
      cells.push(text.slice(from));
      htab.push(false);
    }
    const widths = new Array<number>(cells.length);
    for (let i = 0; i < cells.length; i++) widths[i] = stringWidth(cells[i] as string);
    this.lines.push({ cells, widths, htab, nl });
    return cells.length;
  }

  private flushLines(): void {
    this.format(0, this.lines.length);
    this.lines = [];
    this.widths = [];
  }

  private writeLines(line0: number, line1: number): void {
    const right = this.options.alignRight === true;
    const debug = this.options.debug === true;
    const pad = this.padChar;
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i] as Line;
      let s = '';
      for (let j = 0; j < line.cells.length; j++) {
        const text = line.cells[j] as string;
        const tw = line.widths[j] as number;
        if (j > 0 && debug) s += '|';
        const w = this.widths[j];
        if (w === undefined || w <= tw) s += text;
        else if (right) s += pad.repeat(w - tw) + text;
        else s += text + pad.repeat(w - tw);
      }
      if (line.nl) s += '\n';
      this.chunks.push(s);
    }
  }

  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= (this.lines[t] as Line).cells.length - 1) continue;
      // This line has a cell in this column: print the lines above, then size the column block.
      this.writeLines(line0, t);
      line0 = t;
      let width = this.options.minWidth;
      let discardable = true;
      for (; t < line1; t++) {
        const line = this.lines[t] as Line;
        if (column >= line.cells.length - 1) break;
        const cw = line.widths[column] as number;
        const w = cw + this.options.padding;
        if (w > width) width = w;
        if (cw > 0 || (line.htab === null ? column < line.cells.length - 1 : line.htab[column] === true)) discardable = false;
      }
      if (discardable && this.options.discardEmptyColumns === true) width = 0;
      this.widths.push(width);
      this.format(line0, t);
      this.widths.pop();
      line0 = t;
    }
    this.writeLines(line0, line1);
  }
}

function nextBreak(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  if (text.indexOf('\f', from) < 0) return nl;
  const ff = text.indexOf('\f', from);
  return nl < 0 ? ff : Math.min(nl, ff);
}

/** Aligns `text` in one go with docker's table settings. */
export function alignTable(text: string, options: TabWriterOptions = DOCKER_TABLE): string {
  const w = new TabWriter(options);
  w.write(text);
  return w.flush();
}
