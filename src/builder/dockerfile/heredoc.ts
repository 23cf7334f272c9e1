/**
 * Heredoc words (`<<EOF`, `<<-EOF`, `<<'EOF'`, `3<<EOF`) as BuildKit recognises them in RUN,
 * COPY, ADD and ONBUILD lines.
 */
import { DetailError } from './errors.ts';
import { expandWords } from './shell-lex.ts';

/** One heredoc attached to an instruction. */
export interface Heredoc {
  /** The delimiter with quotes removed; for COPY/ADD also the inline file's name. */
  name: string;
  /** The body exactly as written: every line with its own line ending, tabs not yet removed. */
  content: string;
  /** `<<-`: leading tabs are removed from each body line (see `chompHeredocContent`). */
  chomp: boolean;
  /** False when any part of the delimiter was quoted: the body is then used literally. */
  expand: boolean;
  /** The file descriptor before `<<` (`3<<EOF`), 0 when none was written. */
  fileDescriptor: number;
}

export type HeredocWord = Omit<Heredoc, 'content'>;

/**
 * BuildKit's `^(\d*)<<(-?)\s*([^<]*)$`, matched by hand: a backtracking regex would take
 * quadratic time on a long run of spaces.
 */
function matchHeredocWord(src: string): [string, string, string] | undefined {
  const m = /^(\d*)<<(-?)/.exec(src);
  if (m === null) return undefined;
  const rest = src.slice(m[0].length);
  if (rest.includes('<')) return undefined;
  let i = 0;
  while (i < rest.length && '\t\n\f\r '.includes(rest[i] ?? '')) i++;
  return [m[1] ?? '', m[2] ?? '', rest.slice(i)];
}

/**
 * The heredoc a single word introduces, or undefined when it is not one (`<<`, `<EOF`,
 * `<<EOF sh`). Throws for a delimiter with an unterminated quote (`<<'EOF`).
 */
export function parseHeredocWord(src: string): HeredocWord | undefined {
  const m = matchHeredocWord(src);
  if (m === undefined) return undefined;
  const rest = m[2];
  if (rest === '') return undefined;
  // Lex the delimiter with and without quote removal: if the counts of quote characters
  // differ, part of it was quoted and the body must not be expanded.
  const noEnv = (): undefined => undefined;
  // BuildKit lexes delimiters with `\` whatever the escape directive says.
  const words = expandWords(rest, noEnv, { skipUnsetEnv: true }).words;
  if (words.length !== 1) return undefined;
  const rawWords = expandWords(rest, noEnv, { skipUnsetEnv: true, rawQuotes: true }).words;
  if (rawWords.length !== words.length) {
    throw new DetailError(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  }
  const word = words[0] ?? '';
  const raw = rawWords[0] ?? '';
  const quotes = (s: string): number => (s.match(/['"]/g) ?? []).length;
  return {
    name: word,
    expand: quotes(word) === quotes(raw),
    chomp: m[1] === '-',
    fileDescriptor: m[0] === '' ? 0 : Number(m[0]),
  };
}

/** Every heredoc word in an instruction line, in order. */
export function heredocsFromLine(line: string): HeredocWord[] {
  const out: HeredocWord[] = [];
  let words: string[];
  try {
    words = expandWords(line, () => undefined, { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true }).words;
  } catch {
    // BuildKit ignores a line it cannot lex here (an unterminated quote): no heredocs.
    words = [];
  }
  for (const word of words) {
    const h = parseHeredocWord(word);
    if (h !== undefined) out.push(h);
  }
  return out;
}

/** Removes the leading tabs of every line (the `<<-` form). */
export function chompHeredocContent(src: string): string {
  return src.split('\n').map((line) => line.replace(/^\t+/, '')).join('\n');
}
