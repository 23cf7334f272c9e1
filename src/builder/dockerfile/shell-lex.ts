/**
 * Variable expansion as BuildKit's `shell.Lex` does it.
 *
 * A word is scanned once: `$NAME`, `${NAME}` and the `${NAME<op>word}` forms are replaced from
 * the environment, quotes are removed (single quotes literal, double quotes still expand `$`),
 * and the escape character (`\`, or `` ` `` under `# escape=`) escapes the next character.
 * `expandString` keeps the result as one string (ENV values, COPY arguments, WORKDIR…);
 * `expandWords` also splits it on unquoted whitespace (EXPOSE).
 *
 * Some quirks are BuildKit's and kept on purpose, since Dockerfiles depend on the result:
 * an unknown `$1`-style positional is empty, `$` before a non-name character stays literal,
 * the escape character at the very end of a word disappears, and in word splitting the text
 * collected before a `${…:-…}` form is dropped (the lexer shares one word buffer).
 */
import { quoteString } from '@strata/go-template';
import { DetailError } from './errors.ts';
import { isGoSpace } from './go-format.ts';
import { replacePattern, trimPrefix, trimSuffix } from './shell-pattern.ts';

/** Where variable values come from: a Map, a plain record, or a lookup function. */
export type EnvSource =
  | ReadonlyMap<string, string>
  | Readonly<Record<string, string>>
  | ((name: string) => string | undefined);

export interface LexOptions {
  /** The Dockerfile's escape character: `\` (default) or `` ` ``. */
  escapeToken?: string;
  /** Keep quote characters in the output (BuildKit's RawQuotes). */
  rawQuotes?: boolean;
  /** Keep escape characters in the output (BuildKit's RawEscapes). */
  rawEscapes?: boolean;
  /** Treat quotes as ordinary characters (BuildKit's SkipProcessQuotes, used for heredoc bodies). */
  skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written (BuildKit's SkipUnsetEnv). */
  skipUnsetEnv?: boolean;
}

export interface Expansion {
  /** The expanded text. */
  value: string;
  /** Variables the text read that were set, in first-use order. */
  used: string[];
  /** Variables the text read that were not set, in first-use order. */
  unset: string[];
}

export interface WordsExpansion {
  words: string[];
  used: string[];
  unset: string[];
}

/** Turns any EnvSource into a lookup function. */
export function envLookup(env: EnvSource): (name: string) => string | undefined {
  if (typeof env === 'function') return env;
  if (env instanceof Map) return (name) => env.get(name);
  const rec = env as Readonly<Record<string, string>>;
  return (name) => (Object.hasOwn(rec, name) ? rec[name] : undefined);
}

/**
 * Expands `text` as one word (BuildKit's ProcessWord). Throws a plain Error whose message is
 * BuildKit's (`failed to process "${X:?}": X: is not allowed to be unset`); callers attach
 * the position.
 */
export function expandString(text: string, env: EnvSource, options: LexOptions = {}): Expansion {
  const r = new ShellWord(text, envLookup(env), options).process();
  return { value: r.result, used: r.used, unset: r.unset };
}

/** Expands `text` and splits it into words on unquoted whitespace (BuildKit's ProcessWords). */
export function expandWords(text: string, env: EnvSource, options: LexOptions = {}): WordsExpansion {
  const r = new ShellWord(text, envLookup(env), options).process();
  return { words: r.words, used: r.used, unset: r.unset };
}

const EOF = undefined;
type Ch = string | undefined;

/** One shared buffer: nested scans reset it, exactly as BuildKit's lexer does. */
interface Buffer {
  s: string;
}

class Words {
  words: string[] = [];
  private inWord = false;
  constructor(private readonly buf: Buffer) {}

  addChar(ch: string): void {
    if (isGoSpace(ch)) {
      if (this.inWord && this.buf.s.length !== 0) {
        this.words.push(this.buf.s);
        this.buf.s = '';
        this.inWord = false;
      }
    } else {
      this.addRawChar(ch);
    }
  }

  addRawChar(ch: string): void {
    this.buf.s += ch;
    this.inWord = true;
  }

  addString(str: string): void {
    for (const ch of str) this.addChar(ch);
  }

  addRawString(str: string): void {
    this.buf.s += str;
    this.inWord = true;
  }

  getWords(): string[] {
    if (this.buf.s.length > 0) {
      this.words.push(this.buf.s);
      this.buf.s = '';
      this.inWord = false;
    }
    return this.words;
  }
}

const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;

class ShellWord {
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes: boolean;
  private readonly escape: string;
  private readonly wordsBuffer: Buffer = { s: '' };
  private readonly used = new Set<string>();
  private readonly unset = new Set<string>();

  constructor(
    private readonly source: string,
    private readonly lookup: (name: string) => string | undefined,
    private readonly opts: LexOptions,
  ) {
    this.chars = Array.from(source);
    this.rawEscapes = opts.rawEscapes ?? false;
    this.escape = opts.escapeToken ?? '\\';
  }

  process(): { result: string; words: string[]; used: string[]; unset: string[] } {
    try {
      const [result, words] = this.processStopOn(EOF, this.rawEscapes);
      return { result, words, used: [...this.used], unset: [...this.unset] };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new DetailError(`failed to process ${quoteString(this.source)}: ${why}`);
    }
  }

  private peek(): Ch {
    return this.chars[this.pos];
  }

  private next(): Ch {
    const ch = this.chars[this.pos];
    if (ch !== undefined) this.pos++;
    return ch;
  }

  private processStopOn(stopChar: Ch, rawEscapes: boolean): [string, string[]] {
    let result = '';
    this.wordsBuffer.s = '';
    const words = new Words(this.wordsBuffer);
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      for (let ch = this.peek(); ch !== EOF; ch = this.peek()) {
        if (stopChar !== EOF && ch === stopChar) {
          this.next();
          return [result, words.getWords()];
        }
        const special = this.special(ch);
        if (special !== undefined) {
          const tmp = special();
          result += tmp;
          if (ch === '$') words.addString(tmp);
          else words.addRawString(tmp);
          continue;
        }
        let c = this.next() ?? '';
        if (c === this.escape) {
          if (this.rawEscapes) {
            words.addRawChar(c);
            result += c;
          }
          const escaped = this.next();
          if (escaped === EOF) break;
          c = escaped;
          words.addRawChar(c);
        } else {
          words.addChar(c);
        }
        result += c;
      }
      if (stopChar !== EOF) {
        throw new DetailError(`unexpected end of statement while looking for matching ${stopChar}`);
      }
      return [result, words.getWords()];
    } finally {
      this.rawEscapes = saved;
    }
  }

  private special(ch: string): (() => string) | undefined {
    if (ch === '$') return () => this.processDollar();
    if (ch === '<') return () => this.processPossibleHeredoc();
    if (this.opts.skipProcessQuotes) return undefined;
    if (ch === "'") return () => this.processSingleQuote();
    if (ch === '"') return () => this.processDoubleQuote();
    return undefined;
  }

  private processSingleQuote(): string {
    let result = '';
    const open = this.next() ?? '';
    if (this.opts.rawQuotes) result += open;
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new DetailError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.opts.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    let result = '';
    const open = this.next() ?? '';
    if (this.opts.rawQuotes) result += open;
    for (;;) {
      const p = this.peek();
      if (p === EOF) throw new DetailError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        this.next();
        if (this.opts.rawQuotes) result += '"';
        return result;
      }
      if (p === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.next() ?? '';
      if (ch === this.escape) {
        if (this.rawEscapes) result += ch;
        const after = this.peek();
        if (after === EOF) continue; // the escape at the end is dropped; the loop then fails
        if (after === '"' || after === '$' || after === this.escape) ch = this.next() ?? '';
      }
      result += ch;
    }
  }

  private processDollar(): string {
    this.next(); // '$'
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.getEnv(name);
      if (value === undefined && this.opts.skipUnsetEnv) return `$${name}`;
      return value ?? '';
    }
    this.next(); // '{'
    const first = this.peek();
    if (first === EOF) throw new DetailError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new DetailError('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    // Go prints an EOF rune as U+FFFD.
    let chs = ch ?? '\ufffd';
    if (ch === '}') {
      const value = this.getEnv(name);
      if (value === undefined && this.opts.skipUnsetEnv) return `\${${name}}`;
      return value ?? '';
    }
    let nullIsUnset = false;
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      chs += ch ?? '\ufffd';
      // Falls through to the modifier handling whatever follows, as BuildKit's switch does.
    }
    if (nullIsUnset || ch === '+' || ch === '-' || ch === '?' || ch === '#' || ch === '%') {
      const raw = ch === '#' || ch === '%';
      if (nullIsUnset && raw) throw new DetailError(`unsupported modifier (${chs}) in substitution`);
      let word: string;
      try {
        [word] = this.processStopOn('}', raw);
      } catch (err) {
        if (this.peek() === EOF) throw new DetailError("syntax error: missing '}'");
        throw err;
      }
      const value = this.getEnv(name);
      if (this.opts.skipUnsetEnv && value === undefined) return `\${${name}${chs}${word}}`;
      const set = value !== undefined;
      const empty = value === undefined || value === '';
      switch (ch) {
        case '-':
          return !set || (nullIsUnset && empty) ? word : (value ?? '');
        case '+':
          return !set || (nullIsUnset && empty) ? '' : word;
        case '?':
          if (!set) throw new DetailError(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`);
          if (nullIsUnset && empty) throw new DetailError(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`);
          return value ?? '';
        case '%':
        case '#': {
          let greedy = false;
          if (word.startsWith(ch)) {
            greedy = true;
            word = word.slice(1);
          }
          return ch === '%' ? trimSuffix(word, value ?? '', greedy) : trimPrefix(word, value ?? '', greedy);
        }
        default:
          throw new DetailError(`unsupported modifier (${chs}) in substitution`);
      }
    }
    if (ch === '/') {
      const all = this.peek() === '/';
      if (all) this.next();
      let pattern: string;
      try {
        [pattern] = this.processStopOn('/', true);
      } catch (err) {
        if (this.peek() === EOF) throw new DetailError("syntax error: missing '/' in ${}");
        throw err;
      }
      let replacement: string;
      try {
        [replacement] = this.processStopOn('}', true);
      } catch (err) {
        if (this.peek() === EOF) throw new DetailError("syntax error: missing '}'");
        throw err;
      }
      const value = this.getEnv(name);
      if (this.opts.skipUnsetEnv && value === undefined) return `\${${name}/${pattern}/${replacement}}`;
      return replacePattern(pattern, value ?? '', replacement, all);
    }
    throw new DetailError(`unsupported modifier (${chs}) in substitution`);
  }

  private processName(): string {
    let name = '';
    for (let ch = this.peek(); ch !== EOF; ch = this.peek()) {
      if (name === '' && DIGIT.test(ch)) {
        for (let d = this.peek(); d !== EOF && DIGIT.test(d); d = this.peek()) name += this.next() ?? '';
        return name;
      }
      if (name === '' && isSpecialParam(ch)) return this.next() ?? '';
      if (!LETTER.test(ch) && !DIGIT.test(ch) && ch !== '_') break;
      name += this.next() ?? '';
    }
    return name;
  }

  private processPossibleHeredoc(): string {
    this.next(); // '<'
    if (this.peek() !== '<') return '<';
    this.next();
    let space = '';
    for (let ch = this.peek(); ch === '\t' || ch === '\r' || ch === ' '; ch = this.peek()) space += this.next() ?? '';
    return `<<${space}`;
  }

  private getEnv(name: string): string | undefined {
    const v = this.lookup(name);
    if (v !== undefined) this.used.add(name);
    else this.unset.add(name);
    return v;
  }
}

function isSpecialParam(ch: string): boolean {
  return '@*#?-$!0'.includes(ch);
}
