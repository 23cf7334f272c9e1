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

interface Cell {
  text: string;
  width: number;
  /** Terminated by a hard tab (`\t`) rather than `\v`. */
  htab: boolean;
}

/** docker/cli's table settings: `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`. */
export const DOCKER_TABLE: TabWriterOptions = { minWidth: 10, padding: 3, padChar: ' ' };

/**
 * Buffers text and aligns its tab-separated cells. Call `write` any number of
 * times, then `flush` to get the aligned text.
 */
export class TabWriter {
  private lines: Cell[][] = [[]];
  private cell = '';
  private widths: number[] = [];
  private out = '';
  private readonly padChar: string;

  constructor(private readonly options: TabWriterOptions = DOCKER_TABLE) {
    this.padChar = options.padChar ?? ' ';
  }

  write(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      // \t \n \v \f
      if (c !== 9 && c !== 10 && c !== 11 && c !== 12) continue;
      this.cell += text.slice(start, i);
      start = i + 1;
      const ncells = this.terminateCell(c === 9);
      if (c === 10 || c === 12) {
        this.lines.push([]);
        // A line of one cell can't affect the columns below it: flush.
        if (c === 12 || ncells === 1) {
          this.flushLines();
          if (c === 12 && this.options.debug === true) this.out += '---\n';
        }
      }
    }
    this.cell += text.slice(start);
  }

  /** Formats everything written so far and returns the text (resetting the writer). */
  flush(): string {
    if (this.cell.length > 0) this.terminateCell(false);
    this.flushLines();
    const out = this.out;
    this.out = '';
    return out;
  }

  private terminateCell(htab: boolean): number {
    const line = this.lines[this.lines.length - 1] as Cell[];
    line.push({ text: this.cell, width: stringWidth(this.cell), htab });
    this.cell = '';
    return line.length;
  }

  private flushLines(): void {
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.widths = [];
  }

  private padding(textw: number, cellw: number): void {
    const n = cellw - textw;
    if (n > 0) this.out += this.padChar.repeat(n);
  }

  private writeLines(line0: number, line1: number): void {
    const right = this.options.alignRight === true;
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i] as Cell[];
      for (let j = 0; j < line.length; j++) {
        const c = line[j] as Cell;
        if (j > 0 && this.options.debug === true) this.out += '|';
        const w = this.widths[j];
        if (c.text.length === 0) {
          if (w !== undefined) this.padding(c.width, w);
        } else if (!right) {
          this.out += c.text;
          if (w !== undefined) this.padding(c.width, w);
        } else {
          if (w !== undefined) this.padding(c.width, w);
          this.out += c.text;
        }
      }
      if (i + 1 === this.lines.length) this.out += this.cell;
      else this.out += '\n';
    }
  }

  private format(line0: number, line1: number): number {
    const column = this.widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= (this.lines[t] as Cell[]).length - 1) continue;
      // This line has a cell in this column: print the lines above, then size the column block.
      this.writeLines(line0, t);
      line0 = t;
      let width = this.options.minWidth;
      let discardable = true;
      for (; t < line1; t++) {
        const line = this.lines[t] as Cell[];
        if (column >= line.length - 1) break;
        const c = line[column] as Cell;
        const w = c.width + this.options.padding;
        if (w > width) width = w;
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && this.options.discardEmptyColumns === true) width = 0;
      this.widths.push(width);
      this.format(line0, t);
      this.widths.pop();
      line0 = t;
    }
    this.writeLines(line0, line1);
    return line1;
  }
}

/** Aligns `text` in one go with docker's table settings. */
export function alignTable(text: string, options: TabWriterOptions = DOCKER_TABLE): string {
  const w = new TabWriter(options);
  w.write(text);
  return w.flush();
}
