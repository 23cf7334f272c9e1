/**
 * `.dockerignore` with the semantics of moby's patternmatcher and BuildKit's context walker.
 *
 * Patterns are cleaned like Go's filepath.Clean (a leading `/` is dropped when read from a
 * file), `*` and `?` never cross `/`, `**` spans any number of directories, `[…]` classes and
 * `\` escapes work as in Go, `!` makes an exception, and the last matching pattern wins. A path
 * is excluded when it or any parent directory is. A walker descends into an excluded directory
 * only when an exception could match inside it (see `IgnoreMatcher.check`).
 *
 * Like docker, a pattern is translated once into a regular expression with Go's RE2 meaning
 * (so `[[:alpha:]]`, `\d` and octal escapes behave as in docker), matched in linear time as
 * Go matches it (re2-match.ts); `\p{…}` classes are the one RE2 feature not supported, and are
 * reported as a bad pattern.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromSystemError, invalidArgument } from '../../errdefs/index.ts';
import { goCleanPath, goTrimSpace } from '../dockerfile/go-format.ts';
import { compileRe2 } from './re2-match.ts';

/** Reads ignore-file text into patterns (moby's ignorefile.ReadAll). */
export function readIgnoreFile(source: string | Uint8Array): string[] {
  let text = typeof source === 'string' ? source : new TextDecoder('utf-8').decode(source);
  if (text.startsWith('\ufeff')) text = text.slice(1);
  const out: string[] = [];
  for (let line of text.split('\n')) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    // A comment is a line that starts with `#`, before any trimming.
    if (line.startsWith('#')) continue;
    let pattern = goTrimSpace(line);
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = goTrimSpace(pattern.slice(1));
    if (pattern.length > 0) {
      pattern = goCleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    out.push(invert ? `!${pattern}` : pattern);
  }
  return out;
}

export interface IgnoreFile {
  patterns: string[];
  /** The file the patterns came from; undefined when there is none. */
  path: string | undefined;
}

/**
 * The ignore patterns of a build: `<dockerfile>.dockerignore` beside the Dockerfile when it
 * exists (it replaces, not extends, the context's), else `<context>/.dockerignore`, else none.
 * `dockerfilePath` is the Dockerfile's path on disk; omit it for a Dockerfile from stdin.
 * Throws a StrataError when a file exists but cannot be read.
 */
export function loadIgnoreFile(contextDir: string, dockerfilePath?: string): IgnoreFile {
  const candidates = [
    ...(dockerfilePath === undefined ? [] : [`${dockerfilePath}.dockerignore`]),
    join(contextDir, '.dockerignore'),
  ];
  for (const path of candidates) {
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT' || (err as { code?: unknown }).code === 'ENOTDIR') continue;
      throw fromSystemError(err, `reading ${path}`);
    }
    return { patterns: readIgnoreFile(data), path };
  }
  return { patterns: [], path: undefined };
}

export interface Pattern {
  /** The pattern after cleaning, without its `!`. */
  text: string;
  exclusion: boolean;
  /** The pattern split on `/`. */
  dirs: string[];
}

interface Compiled extends Pattern {
  match: (path: string) => boolean;
}

/** Per-pattern results for a directory, passed down to its entries (MatchInfo in moby). */
export interface MatchInfo {
  readonly parentMatched: readonly boolean[];
}

export interface WalkDecision {
  /** The path itself is left out of the context. */
  excluded: boolean;
  /** For a directory: walk into it (an exception may include something inside). */
  descend: boolean;
  /** Pass this to `check` for the directory's entries. */
  info: MatchInfo;
}

const PATTERN_CHARS = /[*[\]?^\\]/;

export class IgnoreMatcher {
  readonly patterns: readonly Pattern[];
  /** Whether any pattern is an exception (`!…`). */
  readonly exclusions: boolean;
  private readonly compiled: Compiled[];
  private readonly onlyPrefixExceptions: boolean;

  /**
   * Compiles patterns (as read by `readIgnoreFile`, or `COPY --exclude` values). Throws an
   * `invalid-argument` StrataError for a lone `!` or a malformed glob; `source` names the file
   * or flag in the message. A glob whose escapes Go's regexp rejects (`\\c`) throws the same
   * error from the first match that needs it, as docker does.
   */
  constructor(patterns: readonly string[], source = '.dockerignore') {
    const compiled: Compiled[] = [];
    let exclusions = false;
    for (const raw of patterns) {
      let p = goTrimSpace(raw);
      if (p === '') continue;
      p = goCleanPath(p);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw invalidArgument(`${source}: illegal exclusion pattern: "!"`);
        exclusion = true;
        exclusions = true;
        p = p.slice(1);
      }
      if (!isValidGlob(p)) throw invalidArgument(`${source}: invalid pattern ${JSON.stringify(raw)}: syntax error in pattern`);
      // Like docker, the pattern becomes a regex when first used: a pattern Go's regexp cannot
      // compile (`\\c`) fails the match that needs it, not the construction.
      let compiledMatch: ((path: string) => boolean) | undefined;
      const pattern = p;
      const match = (path: string): boolean => {
        if (compiledMatch === undefined) {
          try {
            compiledMatch = compilePattern(pattern);
          } catch {
            throw invalidArgument(`${source}: invalid pattern ${JSON.stringify(raw)}: syntax error in pattern`);
          }
        }
        return compiledMatch(path);
      };
      compiled.push({ text: p, exclusion, dirs: p.split('/'), match });
    }
    this.compiled = compiled;
    this.patterns = compiled.map(({ text, exclusion, dirs }) => ({ text, exclusion, dirs }));
    this.exclusions = exclusions;
    this.onlyPrefixExceptions = !compiled.some((c) => c.exclusion && PATTERN_CHARS.test(withoutTrailingGlob(c.text)));
  }

  /**
   * Whether `path` (slash-separated, relative to the context root) is excluded: the last
   * pattern matching it or one of its parent directories decides (MatchesOrParentMatches).
   */
  matches(path: string): boolean {
    let parents: string[] | undefined;
    let matched = false;
    for (const pat of this.compiled) {
      if (pat.exclusion !== matched) continue;
      let m = pat.match(path);
      if (!m) {
        parents ??= parentPrefixes(path);
        for (let i = 0; i < parents.length && !m; i++) m = pat.match(parents[i] ?? '');
      }
      if (m) matched = !pat.exclusion;
    }
    return matched;
  }

  /** Like `matches`, reusing the results for the parent directory (MatchesUsingParentResults). */
  matchesUsingParentResults(path: string, parent?: MatchInfo): { matched: boolean; info: MatchInfo } {
    const parentMatched = parent?.parentMatched ?? [];
    const known = parentMatched.length === this.compiled.length;
    const info: boolean[] = new Array<boolean>(this.compiled.length).fill(false);
    let parents: string[] | undefined;
    let matched = false;
    for (let i = 0; i < this.compiled.length; i++) {
      const pat = this.compiled[i] as Compiled;
      let m = known ? (parentMatched[i] ?? false) : false;
      if (!m) {
        if (pat.exclusion !== matched) continue;
        m = pat.match(path);
        if (!m && !known) {
          parents ??= parentPrefixes(path);
          for (let j = 0; j < parents.length && !m; j++) m = pat.match(parents[j] ?? '');
        }
      }
      info[i] = m;
      if (m) matched = !pat.exclusion;
    }
    return { matched, info: { parentMatched: info } };
  }

  /**
   * The walker's decision for one entry, as BuildKit's context walker makes it: an excluded
   * file is left out; an excluded directory is skipped entirely unless an exception might
   * match inside it. When every exception is a plain path, that means an exception lies under
   * the directory; when an exception uses wildcards, strata (like BuildKit) walks in and
   * checks each entry. An excluded directory that is walked into is itself left out unless
   * something inside is included (then the walker adds it, as a parent, before that entry).
   */
  check(path: string, isDir: boolean, parent?: MatchInfo): WalkDecision {
    const { matched, info } = this.matchesUsingParentResults(path, parent);
    if (!matched) return { excluded: false, descend: isDir, info };
    if (!isDir) return { excluded: true, descend: false, info };
    if (!this.onlyPrefixExceptions) return { excluded: true, descend: true, info };
    if (!this.exclusions) return { excluded: true, descend: false, info };
    const dirSlash = `${path}/`;
    const descend = this.compiled.some((c) => c.exclusion && `${withoutTrailingGlob(c.text)}/`.startsWith(dirSlash));
    return { excluded: true, descend, info };
  }
}

/**
 * The entries of a context directory that the matcher keeps, as relative slash paths in walk
 * order (lexical, parents before children). Symlinks are listed, never followed.
 */
export function listIncluded(root: string, matcher: IgnoreMatcher): string[] {
  const out: string[] = [];
  interface Pending {
    path: string;
    listed: boolean;
  }
  const walk = (rel: string, info: MatchInfo | undefined, pending: Pending[]): void => {
    const dir = rel === '' ? root : join(root, rel);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      throw fromSystemError(err, `reading ${dir}`);
    }
    names.sort();
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const isDir = lstatSync(join(root, path)).isDirectory();
      const d = matcher.check(path, isDir, info);
      if (!d.excluded) {
        // Excluded directories walked into are listed just before their first included entry.
        for (const p of pending) {
          if (!p.listed) {
            out.push(p.path);
            p.listed = true;
          }
        }
        out.push(path);
      }
      if (isDir && d.descend) walk(path, d.info, d.excluded ? [...pending, { path, listed: false }] : []);
    }
  };
  if (!existsSync(root)) throw invalidArgument(`context directory ${root} does not exist`);
  walk('', undefined, []);
  return out;
}

function withoutTrailingGlob(p: string): string {
  if (p.endsWith('/**')) return p.slice(0, -3);
  if (p.endsWith('/*')) return p.slice(0, -2);
  return p;
}

const UNCLEAN = /(^|\/)\.{1,2}(\/|$)|\/\/|^\/|\/$/;

/**
 * The parent directories moby checks for a path: the prefixes of Go's filepath.Dir(path), from
 * the top (`a`, `a/b` for `a/b/c`); none when the parent is `.`.
 */
function parentPrefixes(path: string): string[] {
  let dir: string;
  if (UNCLEAN.test(path)) {
    const i = path.lastIndexOf('/');
    dir = goCleanPath(i < 0 ? '' : path.slice(0, i + 1));
  } else {
    const i = path.lastIndexOf('/');
    dir = i < 0 ? '.' : path.slice(0, i);
  }
  if (dir === '.') return [];
  const parts = dir.split('/');
  const out: string[] = [];
  let acc = '';
  for (const [k, part] of parts.entries()) {
    acc = k === 0 ? part : `${acc}/${part}`;
    out.push(acc);
  }
  return out;
}

// ---- Go's filepath.Match syntax check ----

/** Whether Go's filepath.Match accepts the pattern's syntax (it checks every chunk). */
export function isValidGlob(pattern: string): boolean {
  let p = Array.from(pattern);
  while (p.length > 0) {
    while (p.length > 0 && p[0] === '*') p = p.slice(1);
    let inRange = false;
    let i = 0;
    for (; i < p.length; i++) {
      const c = p[i];
      if (c === '\\') {
        if (i + 1 < p.length) i++;
      } else if (c === '[') inRange = true;
      else if (c === ']') inRange = false;
      else if (c === '*' && !inRange) break;
    }
    if (!validChunk(p.slice(0, i))) return false;
    p = p.slice(i);
  }
  return true;
}

function validChunk(chunkIn: string[]): boolean {
  let chunk = chunkIn;
  const esc = (): boolean => {
    // One possibly escaped class character; something must follow it.
    if (chunk.length === 0 || chunk[0] === '-' || chunk[0] === ']') return false;
    if (chunk[0] === '\\') {
      chunk = chunk.slice(1);
      if (chunk.length === 0) return false;
    }
    chunk = chunk.slice(1);
    return chunk.length > 0;
  };
  while (chunk.length > 0) {
    const c = chunk[0];
    if (c === '[') {
      chunk = chunk.slice(1);
      if (chunk[0] === '^') chunk = chunk.slice(1);
      let n = 0;
      for (;;) {
        if (chunk.length > 0 && chunk[0] === ']' && n > 0) {
          chunk = chunk.slice(1);
          break;
        }
        if (!esc()) return false;
        if (chunk[0] === '-') {
          chunk = chunk.slice(1);
          if (!esc()) return false;
        }
        n++;
      }
    } else if (c === '\\') {
      chunk = chunk.slice(1);
      if (chunk.length === 0) return false;
      chunk = chunk.slice(1);
    } else {
      chunk = chunk.slice(1);
    }
  }
  return true;
}

// ---- pattern → matcher, as moby's Pattern.compile does it ----

const SHOULD_ESCAPE = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

/** The match function for a cleaned pattern; throws when docker's regex would not compile. */
function compilePattern(pattern: string): (path: string) => boolean {
  let re = '^';
  let type: 'exact' | 'prefix' | 'suffix' | 'regexp' = 'exact';
  const chars = Array.from(pattern);
  let pos = 0;
  for (let i = 0; pos < chars.length; i++) {
    const ch = chars[pos++] ?? '';
    if (ch === '*') {
      if (chars[pos] === '*') {
        pos++;
        if (chars[pos] === '/') pos++;
        if (pos >= chars.length) {
          if (type === 'exact') type = 'prefix';
          else {
            re += '.*';
            type = 'regexp';
          }
        } else {
          re += '(.*/)?';
          type = 'regexp';
        }
        if (i === 0) type = 'suffix';
      } else {
        re += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      type = 'regexp';
    } else if (SHOULD_ESCAPE.has(ch)) {
      re += `\\${ch}`;
    } else if (ch === '\\') {
      if (pos < chars.length) {
        re += `\\${chars[pos++] ?? ''}`;
        type = 'regexp';
      } else {
        re += '\\';
      }
    } else if (ch === '[' || ch === ']') {
      re += ch;
      type = 'regexp';
    } else {
      re += ch;
    }
  }
  switch (type) {
    case 'exact':
      return (path) => path === pattern;
    case 'prefix': {
      const prefix = pattern.slice(0, -2);
      return (path) => path.startsWith(prefix);
    }
    case 'suffix': {
      const suffix = pattern.slice(2);
      return (path) => path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
    }
    case 'regexp':
      return compileRe2(`${re}$`);
  }
}
