/**
 * Errors of the Dockerfile frontend.
 *
 * Every problem with a Dockerfile is a `DockerfileError`: a `StrataError` with code
 * `invalid-argument` whose message starts with `<file>:<line>: ` followed by BuildKit's own
 * words (`Dockerfile:3: unknown instruction: FROBNICATE`), and whose `location` carries the
 * position as data so a front end can print the offending lines.
 */
import { StrataError } from '../../errdefs/index.ts';

/** A position in a Dockerfile. Lines and columns are 1-based; `endLine` is inclusive. */
export interface SourceLocation {
  /** The display name of the Dockerfile (`Dockerfile`, or the `-f` path). */
  file: string;
  line: number;
  /** Column of the first character the error or node refers to (1-based, in characters). */
  column: number;
  endLine: number;
}

/** Where a DockerfileError points; `line` is absent for errors about the file as a whole. */
export interface DockerfileErrorLocation {
  file: string;
  line?: number;
  column?: number;
  endLine?: number;
}

export class DockerfileError extends StrataError {
  readonly location: DockerfileErrorLocation;
  /** BuildKit's words for the problem, without the `file:line:` prefix. */
  readonly detail: string;

  constructor(location: DockerfileErrorLocation, detail: string, options: { hint?: string; cause?: unknown } = {}) {
    const where = location.line === undefined ? location.file : `${location.file}:${location.line}`;
    super('invalid-argument', `${where}: ${detail}`, options);
    this.name = 'DockerfileError';
    this.location = location;
    this.detail = detail;
  }
}

export function isDockerfileError(err: unknown): err is DockerfileError {
  return err instanceof DockerfileError;
}

/**
 * An `invalid-argument` StrataError in BuildKit's words, without a position: what the value
 * helpers (expansion, --chmod, EXPOSE, --mount…) throw. Code that knows the instruction turns
 * it into a DockerfileError with `atLocation`.
 */
export class DetailError extends StrataError {
  constructor(message: string) {
    super('invalid-argument', message);
    this.name = 'DetailError';
  }
}

/** The error at `loc`, keeping an inner DockerfileError's own position if it has one. */
export function atLocation(err: unknown, loc: SourceLocation, column?: number): DockerfileError {
  if (err instanceof DockerfileError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new DockerfileError(
    { file: loc.file, line: loc.line, column: column ?? loc.column, endLine: loc.endLine },
    detail,
    { cause: err },
  );
}

/** Levenshtein distance over code points. */
export function levenshtein(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  let prev = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[y.length] ?? 0;
}

/**
 * BuildKit's "(did you mean X?)" suggestion: the closest option within edit distance 2, or
 * undefined when `value` is itself an option or nothing is close. Ties go to the earlier
 * option (BuildKit iterates a map, so its choice among ties is random).
 */
export function suggest(value: string, options: readonly string[], caseSensitive: boolean): string | undefined {
  const val = caseSensitive ? value : value.toLowerCase();
  let match: string | undefined;
  let min = 3;
  for (const option of options) {
    const opt = caseSensitive ? option : option.toLowerCase();
    if (opt === val) return undefined;
    const d = levenshtein(val, opt);
    if (d < min) {
      min = d;
      match = caseSensitive ? opt : matchCase(opt, value);
    }
  }
  return match;
}

function matchCase(val: string, orig: string): string {
  if (orig === orig.toLowerCase()) return val.toLowerCase();
  if (orig === orig.toUpperCase()) return val.toUpperCase();
  return val;
}

/** `message (did you mean X?)` when a suggestion exists. */
export function withSuggestion(message: string, value: string, options: readonly string[], caseSensitive: boolean): string {
  const match = suggest(value, options, caseSensitive);
  return match === undefined ? message : `${message} (did you mean ${match}?)`;
}
