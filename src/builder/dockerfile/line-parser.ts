/**
 * Phase one of parsing, as BuildKit's `parser` package does it: parser directives, physical
 * lines joined into logical lines (continuations, comments and empty lines inside them),
 * heredoc bodies, and each logical line split into keyword, flags and arguments by the
 * per-instruction line rules (JSON arrays, whitespace lists, `key=value` words…).
 *
 * Nothing here knows what the flags mean or how many arguments an instruction takes; that is
 * phase two (`instructions.ts`). Errors are DockerfileErrors at the line they concern.
 */
import { quoteString } from '@strata/go-template';
import type { Directive, EscapeToken, LintWarning } from './ast.ts';
import { DetailError, DockerfileError } from './errors.ts';
import { goTrimLeftSpace, goTrimSpace, isGoSpace } from './go-format.ts';
import type { Heredoc } from './heredoc.ts';
import { heredocsFromLine } from './heredoc.ts';

/** One logical line, split the way BuildKit's parser Node holds it. */
export interface RawNode {
  /** The keyword as written. */
  keyword: string;
  flags: string[];
  /** The arguments (for ENV and LABEL: key, value, separator triples). */
  args: string[];
  /** The arguments were a JSON array. */
  json: boolean;
  heredocs: Heredoc[];
  /** The logical line after continuations were joined (not trimmed). */
  original: string;
  startLine: number;
  endLine: number;
  /** Column of the keyword on the start line. */
  column: number;
  /** How much of `original` came from the start line (to place columns of later errors). */
  firstLineLength: number;
  comments: string[];
  /** ONBUILD: the trigger's node. */
  sub: RawNode | undefined;
}

export interface RawParseResult {
  nodes: RawNode[];
  directives: Directive[];
  escapeToken: EscapeToken;
  warnings: LintWarning[];
}

const WHITESPACE = /[\t\v\f\r ]+/;
const DIRECTIVE_KEYS = new Set(['syntax', 'escape', 'check']);

/**
 * Splits a Dockerfile into logical lines and parses each into a RawNode.
 * Throws a DockerfileError for an invalid directive, a malformed JSON array of non-strings,
 * an unterminated heredoc, or a file without instructions.
 */
export function parseLines(text: string, file: string): RawParseResult {
  return new LineParser(text, file).parse();
}

class LineParser {
  private escape: EscapeToken = '\\';
  private directivesDone = false;
  private readonly seen = new Set<string>();
  private readonly directives: Directive[] = [];
  private readonly warnings: LintWarning[] = [];
  private readonly lines: string[];
  private directiveLine = 0;

  constructor(text: string, private readonly file: string) {
    this.lines = splitKeepingEndings(text);
  }

  private error(detail: string, line: number | undefined, endLine?: number, column = 1): DockerfileError {
    return new DockerfileError(
      line === undefined ? { file: this.file } : { file: this.file, line, column, endLine: endLine ?? line },
      detail,
    );
  }

  parse(): RawParseResult {
    const nodes: RawNode[] = [];
    let comments: string[] = [];
    let currentLine = 0;
    let idx = 0;
    while (idx < this.lines.length) {
      let raw = this.lines[idx++] ?? '';
      if (currentLine === 0 && raw.startsWith('\ufeff')) raw = raw.slice(1);
      if (isComment(raw)) {
        const comment = goTrimSpace(raw.slice(1));
        if (comment === '') comments = [];
        else comments.push(comment);
      }
      const [first, directiveOk] = this.processLine(raw, true, currentLine + 1);
      if (directiveOk) comments.pop();
      currentLine++;
      const startLine = currentLine;
      const column = leadingWhitespaceWidth(raw) + 1;
      let [text, isEnd] = this.trimContinuation(first);
      if (isEnd && text.length === 0) continue;
      let line = text;
      const firstLineLength = text.length;
      let hasEmptyContinuation = false;
      while (!isEnd && idx < this.lines.length) {
        const next = this.lines[idx++] ?? '';
        const [processed] = this.processLine(next, false, currentLine + 1);
        currentLine++;
        // A comment inside a continuation is dropped, even one ending with the escape.
        if (isComment(next)) continue;
        if (goTrimLeftSpace(trimNewline(processed)).length === 0) {
          hasEmptyContinuation = true;
          continue;
        }
        [text, isEnd] = this.trimContinuation(processed);
        line += text;
      }
      if (hasEmptyContinuation) {
        this.warnings.push({
          rule: 'NoEmptyContinuation',
          message: 'Empty continuation line',
          url: 'https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/',
          location: { file: this.file, line: currentLine, column: 1, endLine: currentLine },
        });
      }
      let node: RawNode;
      try {
        node = this.nodeFromLine(line, comments);
      } catch (err) {
        throw this.wrap(err, startLine, currentLine, column);
      }
      node.column = column;
      node.startLine = startLine;
      node.firstLineLength = firstLineLength;
      if (canContainHeredoc(node) && line.includes('<<')) {
        let words;
        try {
          words = heredocsFromLine(line);
        } catch (err) {
          throw this.wrap(err, startLine, currentLine, column);
        }
        for (const h of words) {
          let terminated = false;
          let content = '';
          while (idx < this.lines.length) {
            const bodyLine = this.lines[idx++] ?? '';
            currentLine++;
            let candidate = trimNewline(bodyLine);
            if (h.chomp) candidate = candidate.replace(/^\t+/, '');
            if (candidate === h.name) {
              terminated = true;
              break;
            }
            content += bodyLine;
          }
          if (!terminated) {
            throw new DockerfileError(
              { file: this.file, line: startLine, column, endLine: currentLine },
              `unterminated heredoc: no line "${h.name}" closes the <<${h.name} that starts here`,
              { hint: `end the heredoc with a line containing only ${h.name}` },
            );
          }
          const doc: Heredoc = { ...h, content };
          node.heredocs.push(doc);
        }
      }
      node.endLine = currentLine;
      nodes.push(node);
      comments = [];
    }
    if (nodes.length === 0) {
      throw this.error('file with no instructions', undefined);
    }
    return { nodes, directives: this.directives, escapeToken: this.escape, warnings: this.warnings };
  }

  private wrap(err: unknown, line: number, endLine: number, column: number): DockerfileError {
    if (err instanceof DockerfileError) return err;
    return this.error(err instanceof Error ? err.message : String(err), line, endLine, column);
  }

  /** Strips the line ending (and leading space on an instruction's first line), notes directives, drops comments. */
  private processLine(token: string, stripLeft: boolean, lineNo: number): [string, boolean] {
    let t = trimNewline(token);
    if (stripLeft) t = goTrimLeftSpace(t);
    const directiveOk = this.possibleDirective(t, lineNo);
    return [isComment(t) ? '' : t, directiveOk];
  }

  private possibleDirective(line: string, lineNo: number): boolean {
    this.directiveLine++;
    if (this.directivesDone) return false;
    if (!line.startsWith('#')) {
      this.directivesDone = true;
      return false;
    }
    const parsed = parseDirectiveLine(goTrimLeftSpace(line.slice(1)));
    if (parsed === undefined || !DIRECTIVE_KEYS.has(parsed.key)) {
      this.directivesDone = true;
      return false;
    }
    if (this.seen.has(parsed.key)) {
      throw this.error(`only one ${parsed.key} parser directive can be used`, lineNo);
    }
    this.seen.add(parsed.key);
    if (parsed.key === 'escape') {
      if (parsed.value !== '`' && parsed.value !== '\\') {
        throw this.error(`invalid escape token '${parsed.value}' does not match \` or \\`, lineNo);
      }
      this.escape = parsed.value;
    }
    this.directives.push({ name: parsed.key as Directive['name'], value: parsed.value, line: lineNo });
    return true;
  }

  /** Removes a trailing escape (and the spaces after it) that continues the line. */
  private trimContinuation(line: string): [string, boolean] {
    let end = line.length;
    while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
    if (end === 0 || line[end - 1] !== this.escape) return [line, true];
    // An escaped escape (`foo \\`) does not continue the line.
    if (end >= 2 && line[end - 2] === this.escape) return [line, true];
    return [line.slice(0, end - 1), false];
  }

  private nodeFromLine(line: string, comments: string[]): RawNode {
    const [keyword, flags, rest] = this.splitCommand(line);
    const node: RawNode = {
      keyword, flags, args: [], json: false, heredocs: [], original: line,
      startLine: 0, endLine: 0, column: 1, firstLineLength: line.length, comments: [...comments], sub: undefined,
    };
    switch (keyword.toLowerCase()) {
      case 'add':
      case 'copy':
      case 'volume':
        this.maybeJsonToList(node, rest);
        break;
      case 'cmd':
      case 'entrypoint':
      case 'run':
      case 'shell':
        this.maybeJson(node, rest);
        break;
      case 'arg':
        node.args = this.parseWords(rest);
        break;
      case 'env':
        node.args = this.parseNameVal(rest, 'ENV');
        break;
      case 'label':
        node.args = this.parseNameVal(rest, 'LABEL');
        break;
      case 'expose':
      case 'from':
        node.args = whitespaceList(rest);
        break;
      case 'healthcheck':
        this.healthConfig(node, rest);
        break;
      case 'maintainer':
      case 'stopsignal':
      case 'user':
      case 'workdir':
        node.args = rest === '' ? [] : [rest];
        break;
      case 'onbuild':
        if (rest !== '') {
          const sub = this.nodeFromLine(rest, []);
          node.sub = sub;
          node.args = [sub.keyword, ...sub.args];
          node.json = false;
        }
        break;
      default:
        // Unknown instructions keep no arguments; phase two reports them.
        break;
    }
    return node;
  }

  private maybeJson(node: RawNode, rest: string): void {
    if (rest === '') return;
    const json = parseJsonArray(rest);
    if (json !== undefined) {
      node.args = json;
      node.json = true;
    } else {
      node.args = [rest];
    }
  }

  private maybeJsonToList(node: RawNode, rest: string): void {
    const json = parseJsonArray(rest);
    if (json !== undefined) {
      node.args = json;
      node.json = true;
    } else {
      node.args = whitespaceList(rest);
    }
  }

  private healthConfig(node: RawNode, rest: string): void {
    let sep = 0;
    while (sep < rest.length && !isGoSpace(rest[sep] ?? '')) sep++;
    let next = sep;
    while (next < rest.length && isGoSpace(rest[next] ?? '')) next++;
    if (sep === 0) return;
    const cmd: RawNode = { ...node, args: [], json: false };
    this.maybeJson(cmd, rest.slice(next));
    node.args = [rest.slice(0, sep), ...cmd.args];
    node.json = cmd.json;
  }

  /** Splits off the keyword and the leading `--flags`; returns the trimmed rest. */
  private splitCommand(line: string): [string, string[], string] {
    const trimmed = goTrimSpace(line);
    const m = WHITESPACE.exec(trimmed);
    if (m === null) return [trimmed, [], ''];
    const keyword = trimmed.slice(0, m.index);
    const [rest, flags] = this.extractFlags(trimmed.slice(m.index + m[0].length));
    return [keyword, flags, goTrimSpace(rest)];
  }

  /** The leading words starting with `--` (quotes and escapes processed), and what follows them. */
  private extractFlags(line: string): [string, string[]] {
    const words: string[] = [];
    let phase: 'spaces' | 'word' | 'quote' = 'spaces';
    let word = '';
    let quote = '';
    let blankOK = false;
    for (let pos = 0; pos <= line.length; pos++) {
      const atEnd = pos === line.length;
      let ch = atEnd ? '' : (line[pos] ?? '');
      if (phase === 'spaces') {
        if (atEnd) break;
        if (isGoSpace(ch)) continue;
        if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return [line.slice(pos), words];
        phase = 'word';
      }
      if (atEnd) {
        if (word !== '--' && (blankOK || word.length > 0)) words.push(word);
        break;
      }
      if (phase === 'word') {
        if (isGoSpace(ch)) {
          phase = 'spaces';
          if (word === '--') return [line.slice(pos), words];
          if (blankOK || word.length > 0) words.push(word);
          word = '';
          blankOK = false;
          continue;
        }
        if (ch === "'" || ch === '"') {
          quote = ch;
          blankOK = true;
          phase = 'quote';
          continue;
        }
        if (ch === this.escape) {
          if (pos + 1 === line.length) continue;
          pos++;
          ch = line[pos] ?? '';
        }
        word += ch;
        continue;
      }
      // In quotes.
      if (ch === quote) {
        phase = 'word';
        continue;
      }
      if (ch === this.escape) {
        if (pos + 1 === line.length) {
          phase = 'word';
          continue;
        }
        pos++;
        ch = line[pos] ?? '';
      }
      word += ch;
    }
    return ['', words];
  }

  /** Space-separated words with quotes and escapes kept (they are processed at expansion). */
  private parseWords(rest: string): string[] {
    const words: string[] = [];
    const chars = Array.from(rest);
    let phase: 'spaces' | 'word' | 'quote' = 'spaces';
    let quote = '';
    let blankOK = false;
    let word = '';
    for (let pos = 0; pos <= chars.length; pos++) {
      const atEnd = pos === chars.length;
      let ch = chars[pos] ?? '';
      if (phase === 'spaces') {
        if (atEnd) break;
        if (isGoSpace(ch)) continue;
        phase = 'word';
      }
      if (atEnd) {
        if (blankOK || word.length > 0) words.push(word);
        break;
      }
      if (phase === 'word') {
        if (isGoSpace(ch)) {
          phase = 'spaces';
          if (blankOK || word.length > 0) words.push(word);
          word = '';
          blankOK = false;
          continue;
        }
        if (ch === "'" || ch === '"') {
          quote = ch;
          blankOK = true;
          phase = 'quote';
        }
        if (ch === this.escape) {
          if (pos + 1 === chars.length) continue; // an escape at the end is dropped
          // Outside quotes the escape and the next character are both kept, even a quote.
          word += ch;
          pos++;
          ch = chars[pos] ?? '';
        }
        word += ch;
        continue;
      }
      // In quotes: the quote character ends them; the escape works except in single quotes.
      if (ch === quote) phase = 'word';
      if (ch === this.escape && quote !== "'") {
        if (pos + 1 === chars.length) {
          phase = 'word';
          continue;
        }
        pos++;
        word += ch;
        ch = chars[pos] ?? '';
      }
      word += ch;
    }
    return words;
  }

  /** ENV and LABEL: `k=v …` words, or the legacy `k v` form; returns key, value, separator triples. */
  private parseNameVal(rest: string, key: string): string[] {
    const words = this.parseWords(rest);
    if (words.length === 0) return [];
    if (!(words[0] ?? '').includes('=')) {
      const m = WHITESPACE.exec(rest);
      if (m === null) throw new DetailError(`${key} must have two arguments`);
      return [rest.slice(0, m.index), rest.slice(m.index + m[0].length), ''];
    }
    const out: string[] = [];
    for (const word of words) {
      const eq = word.indexOf('=');
      if (eq < 0) {
        throw new DetailError(`Syntax error - can't find = in ${quoteString(word)}. Must be of the form: name=value`);
      }
      out.push(word.slice(0, eq), word.slice(eq + 1), '=');
    }
    return out;
  }
}

function whitespaceList(rest: string): string[] {
  return rest === '' ? [] : rest.split(WHITESPACE);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The strings of a JSON array of strings; undefined when the text is not a JSON array (then it
 * is shell form). A JSON array holding anything but strings is an error, as in BuildKit.
 */
export function parseJsonArray(rest: string): string[] | undefined {
  const trimmed = goTrimLeftSpace(rest);
  if (!trimmed.startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const out: string[] = [];
  for (const item of parsed as unknown[]) {
    // Go's decoder rejects numbers beyond float64, so such a line is shell form there.
    if (typeof item === 'number' && !Number.isFinite(item)) return undefined;
    if (typeof item !== 'string') {
      throw new DetailError('when using JSON array syntax, arrays must be comprised of strings only');
    }
    out.push(item.replace(LONE_SURROGATE, '\ufffd'));
  }
  return out;
}

function canContainHeredoc(node: RawNode): boolean {
  let n = node;
  if (n.keyword.toLowerCase() === 'onbuild' && n.sub !== undefined) n = n.sub;
  const k = n.keyword.toLowerCase();
  return (k === 'add' || k === 'copy' || k === 'run') && !n.json;
}

/** Lines with their `\n` kept; a final line without one is kept too. */
function splitKeepingEndings(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      if (start < text.length) out.push(text.slice(start));
      return out;
    }
    out.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
}

function trimNewline(s: string): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === '\n' || s[end - 1] === '\r')) end--;
  return s.slice(0, end);
}

function isComment(line: string): boolean {
  return goTrimLeftSpace(line).startsWith('#');
}

function leadingWhitespaceWidth(line: string): number {
  return line.length - goTrimLeftSpace(line).length;
}

const DIRECTIVE_SPACE = new Set(['\t', '\n', '\f', '\r', ' ']);

/** `name = value` with BuildKit's directive syntax; undefined when the comment is not one. */
function parseDirectiveLine(line: string): { key: string; value: string } | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=/.exec(line);
  if (m === null) return undefined;
  const after = line.slice(m[0].length);
  if (after === '' || after.includes('\n')) return undefined;
  let start = 0;
  while (start < after.length && DIRECTIVE_SPACE.has(after[start] ?? '')) start++;
  let end = after.length;
  while (end > start && DIRECTIVE_SPACE.has(after[end - 1] ?? '')) end--;
  // `\s*=\s*(.+?)\s*$` needs one character of value: with only spaces, the last one.
  const value = start < end ? after.slice(start, end) : after.slice(after.length - 1);
  return { key: (m[1] ?? '').toLowerCase(), value };
}
