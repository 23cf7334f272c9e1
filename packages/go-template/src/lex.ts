/**
 * The lexer of Go's text/template (Go 1.24 behaviour): text, `{{ }}` actions with
 * trim markers `{{- ` / ` -}}`, comments, and the tokens inside actions. It stops at
 * the first error, emitting an error item whose text is Go's message.
 */
import { isPrintRune, quoteString } from './strconv.ts';

export const enum ItemType {
  Error,
  Bool,
  Char,
  CharConstant,
  Complex,
  Assign,
  Declare,
  EOF,
  Field,
  Identifier,
  LeftDelim,
  LeftParen,
  Number,
  Pipe,
  RawString,
  RightDelim,
  RightParen,
  Space,
  String,
  Text,
  Variable,
  // Keywords come after all the rest.
  Keyword,
  Block,
  Break,
  Continue,
  Dot,
  Define,
  Else,
  End,
  If,
  Nil,
  Range,
  Template,
  With,
}

export interface Item {
  typ: ItemType;
  /** Byte offset of the item in the input (UTF-8, as Go counts). */
  pos: number;
  val: string;
  /** Line number at the start of the item. */
  line: number;
}

const keywords: Record<string, ItemType> = {
  '.': ItemType.Dot,
  block: ItemType.Block,
  break: ItemType.Break,
  continue: ItemType.Continue,
  define: ItemType.Define,
  else: ItemType.Else,
  end: ItemType.End,
  if: ItemType.If,
  range: ItemType.Range,
  nil: ItemType.Nil,
  template: ItemType.Template,
  with: ItemType.With,
};

const LEFT = '{{';
const RIGHT = '}}';
const LEFT_COMMENT = '/*';
const RIGHT_COMMENT = '*/';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

const alnum = /^[\p{L}\p{Nd}_]$/u;

function isAlphaNumeric(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code < 0x80) {
    return code === 95 || (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  }
  return alnum.test(c);
}

function hasLeftTrimMarker(s: string, at: number): boolean {
  return s[at] === '-' && isSpace(s[at + 1]);
}

function hasRightTrimMarker(s: string, at: number): boolean {
  return isSpace(s[at]) && s[at + 1] === '-';
}

const TRIM_MARKER_LEN = 2;

/** Go's %#U of a rune: `U+007D '}'`. */
export function formatRuneU(cp: number): string {
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return isPrintRune(cp) ? `U+${hex} '${String.fromCodePoint(cp)}'` : `U+${hex}`;
}

/**
 * Scans a whole template. Positions are in UTF-16 units while scanning and converted
 * to UTF-8 byte offsets on the way out, because Go reports byte columns.
 */
export function lex(input: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let parenDepth = 0;
  let done = false;

  // Newline count before a position, computed incrementally.
  let lineAt = 0;
  let lineCount = 1;
  const lineOf = (p: number): number => {
    if (p < lineAt) {
      lineAt = 0;
      lineCount = 1;
    }
    for (; lineAt < p; lineAt++) if (input.charCodeAt(lineAt) === 10) lineCount++;
    return lineCount;
  };

  const emit = (typ: ItemType): void => {
    items.push({ typ, pos: start, val: input.slice(start, pos), line: lineOf(start) });
    start = pos;
  };
  const errorf = (msg: string): void => {
    items.push({ typ: ItemType.Error, pos: start, val: msg, line: lineOf(start) });
    done = true;
  };
  const atRightDelim = (): [boolean, boolean] => {
    if (hasRightTrimMarker(input, pos) && input.startsWith(RIGHT, pos + TRIM_MARKER_LEN)) return [true, true];
    if (input.startsWith(RIGHT, pos)) return [true, false];
    return [false, false];
  };
  const atTerminator = (): boolean => {
    const r = input[pos];
    if (r === undefined || isSpace(r)) return true;
    switch (r) {
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
    }
    return input.startsWith(RIGHT, pos);
  };
  const leftTrimLength = (from: number): number => {
    let i = from;
    while (i < input.length && isSpace(input[i])) i++;
    return i - from;
  };
  const nextChar = (): string | undefined => {
    const cp = input.codePointAt(pos);
    if (cp === undefined) return undefined;
    const c = String.fromCodePoint(cp);
    pos += c.length;
    return c;
  };

  type State = () => State | null;

  const lexText: State = () => {
    const x = input.indexOf(LEFT, pos);
    if (x >= 0) {
      pos = x;
      let trim = 0;
      if (hasLeftTrimMarker(input, pos + LEFT.length)) {
        let i = pos;
        while (i > start && isSpace(input[i - 1])) i--;
        trim = pos - i;
      }
      pos -= trim;
      if (pos > start) emit(ItemType.Text);
      pos += trim;
      start = pos;
      return lexLeftDelim;
    }
    pos = input.length;
    if (pos > start) emit(ItemType.Text);
    emit(ItemType.EOF);
    return null;
  };

  const lexLeftDelim: State = () => {
    pos += LEFT.length;
    const trimSpace = hasLeftTrimMarker(input, pos);
    const afterMarker = trimSpace ? TRIM_MARKER_LEN : 0;
    if (input.startsWith(LEFT_COMMENT, pos + afterMarker)) {
      pos += afterMarker;
      start = pos;
      return lexComment;
    }
    emit(ItemType.LeftDelim);
    pos += afterMarker;
    start = pos;
    parenDepth = 0;
    return lexInsideAction;
  };

  const lexComment: State = () => {
    pos += LEFT_COMMENT.length;
    const x = input.indexOf(RIGHT_COMMENT, pos);
    if (x < 0) {
      errorf('unclosed comment');
      return null;
    }
    pos = x + RIGHT_COMMENT.length;
    const [delim, trimSpace] = atRightDelim();
    if (!delim) {
      errorf('comment ends before closing delimiter');
      return null;
    }
    if (trimSpace) pos += TRIM_MARKER_LEN;
    pos += RIGHT.length;
    if (trimSpace) pos += leftTrimLength(pos);
    start = pos;
    return lexText;
  };

  const lexRightDelim: State = () => {
    const [, trimSpace] = atRightDelim();
    if (trimSpace) {
      pos += TRIM_MARKER_LEN;
      start = pos;
    }
    pos += RIGHT.length;
    emit(ItemType.RightDelim);
    if (trimSpace) {
      pos += leftTrimLength(pos);
      start = pos;
    }
    return lexText;
  };

  const lexInsideAction: State = () => {
    const [delim] = atRightDelim();
    if (delim) {
      if (parenDepth === 0) return lexRightDelim;
      errorf('unclosed left paren');
      return null;
    }
    const r = nextChar();
    if (r === undefined) {
      errorf('unclosed action');
      return null;
    }
    if (isSpace(r)) {
      pos -= 1;
      return lexSpace;
    }
    switch (r) {
      case '=':
        emit(ItemType.Assign);
        return lexInsideAction;
      case ':':
        if (nextChar() !== '=') {
          errorf('expected :=');
          return null;
        }
        emit(ItemType.Declare);
        return lexInsideAction;
      case '|':
        emit(ItemType.Pipe);
        return lexInsideAction;
      case '"':
        return lexQuote;
      case '`':
        return lexRawQuote;
      case '$':
        return lexVariable;
      case "'":
        return lexChar;
      case '.': {
        // special look-ahead for ".field" so we don't break backup.
        const n = input[pos];
        // As in Go, a '.' that ends the input is read as a number (it can start one).
        if (n !== undefined && (n < '0' || n > '9')) return lexField;
        pos -= 1;
        return lexNumber;
      }
      case '(':
        emit(ItemType.LeftParen);
        parenDepth++;
        return lexInsideAction;
      case ')':
        if (parenDepth === 0) {
          errorf('unexpected right paren');
          return null;
        }
        parenDepth--;
        emit(ItemType.RightParen);
        return lexInsideAction;
    }
    if (r === '+' || r === '-' || (r >= '0' && r <= '9')) {
      pos -= 1;
      return lexNumber;
    }
    if (isAlphaNumeric(r)) {
      pos -= r.length;
      return lexIdentifier;
    }
    const cp = r.codePointAt(0) ?? 0;
    if (cp < 0x80 && cp >= 0x20 && cp !== 0x7f) {
      emit(ItemType.Char);
      return lexInsideAction;
    }
    errorf(`unrecognized character in action: ${formatRuneU(cp)}`);
    return null;
  };

  const lexSpace: State = () => {
    let numSpaces = 0;
    while (isSpace(input[pos])) {
      pos++;
      numSpaces++;
    }
    // A trim-marked closing delimiter has a minus after a space.
    if (hasRightTrimMarker(input, pos - 1) && input.startsWith(RIGHT, pos - 1 + TRIM_MARKER_LEN)) {
      pos--;
      if (numSpaces === 1) return lexRightDelim;
    }
    emit(ItemType.Space);
    return lexInsideAction;
  };

  const lexIdentifier: State = () => {
    for (;;) {
      const save = pos;
      const r = nextChar();
      if (isAlphaNumeric(r)) continue;
      pos = save;
      const word = input.slice(start, pos);
      if (!atTerminator()) {
        errorf(`bad character ${formatRuneU(r?.codePointAt(0) ?? 0)}`);
        return null;
      }
      const kw = keywords[word];
      if (kw !== undefined && kw > ItemType.Keyword) emit(kw);
      else if (word[0] === '.') emit(ItemType.Field);
      else if (word === 'true' || word === 'false') emit(ItemType.Bool);
      else emit(ItemType.Identifier);
      return lexInsideAction;
    }
  };

  const lexFieldOrVariable = (typ: ItemType): State | null => {
    if (atTerminator()) {
      emit(typ === ItemType.Variable ? ItemType.Variable : ItemType.Dot);
      return lexInsideAction;
    }
    let r: string | undefined;
    for (;;) {
      const save = pos;
      r = nextChar();
      if (!isAlphaNumeric(r)) {
        pos = save;
        break;
      }
    }
    if (!atTerminator()) {
      errorf(`bad character ${formatRuneU(r?.codePointAt(0) ?? 0)}`);
      return null;
    }
    emit(typ);
    return lexInsideAction;
  };
  const lexField: State = () => lexFieldOrVariable(ItemType.Field);
  const lexVariable: State = () => {
    if (atTerminator()) {
      emit(ItemType.Variable);
      return lexInsideAction;
    }
    return lexFieldOrVariable(ItemType.Variable);
  };

  const lexChar: State = () => {
    for (;;) {
      const c = nextChar();
      if (c === '\\') {
        const r = nextChar();
        if (r !== undefined && r !== '\n') continue;
        errorf('unterminated character constant');
        return null;
      }
      if (c === undefined || c === '\n') {
        errorf('unterminated character constant');
        return null;
      }
      if (c === "'") break;
    }
    emit(ItemType.CharConstant);
    return lexInsideAction;
  };

  const accept = (valid: string): boolean => {
    const c = input[pos];
    if (c !== undefined && valid.includes(c)) {
      pos++;
      return true;
    }
    return false;
  };
  const acceptRun = (valid: string): void => {
    while (accept(valid));
  };
  const scanNumber = (): boolean => {
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    const save = pos;
    if (isAlphaNumeric(nextChar())) return false;
    pos = save;
    return true;
  };
  const lexNumber: State = () => {
    if (!scanNumber()) {
      errorf(`bad number syntax: ${quoteString(input.slice(start, pos))}`);
      return null;
    }
    const sign = input[pos];
    if (sign === '+' || sign === '-') {
      if (!scanNumber() || input[pos - 1] !== 'i') {
        errorf(`bad number syntax: ${quoteString(input.slice(start, pos))}`);
        return null;
      }
      emit(ItemType.Complex);
    } else {
      emit(ItemType.Number);
    }
    return lexInsideAction;
  };

  const lexQuote: State = () => {
    for (;;) {
      const c = nextChar();
      if (c === '\\') {
        const r = nextChar();
        if (r !== undefined && r !== '\n') continue;
        errorf('unterminated quoted string');
        return null;
      }
      if (c === undefined || c === '\n') {
        errorf('unterminated quoted string');
        return null;
      }
      if (c === '"') break;
    }
    emit(ItemType.String);
    return lexInsideAction;
  };

  const lexRawQuote: State = () => {
    const x = input.indexOf('`', pos);
    if (x < 0) {
      errorf('unterminated raw quoted string');
      return null;
    }
    pos = x + 1;
    emit(ItemType.RawString);
    return lexInsideAction;
  };

  let state: State | null = lexText;
  while (state !== null && !done) state = state();
  return toByteOffsets(input, items);
}

/** Converts UTF-16 positions to UTF-8 byte offsets (identity for ASCII input). */
function toByteOffsets(input: string, items: Item[]): Item[] {
  if (/^[\x00-\x7f]*$/.test(input)) return items;
  let u16 = 0;
  let bytes = 0;
  for (const item of items) {
    while (u16 < item.pos) {
      const c = input.charCodeAt(u16);
      if (c < 0x80) bytes += 1;
      else if (c < 0x800) bytes += 2;
      else if (c >= 0xd800 && c <= 0xdbff) {
        bytes += 4;
        u16++;
      } else bytes += 3;
      u16++;
    }
    item.pos = bytes;
  }
  return items;
}
