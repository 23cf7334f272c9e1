/**
 * The parser of Go's text/template (Go 1.24 behaviour): builds the trees of a template
 * and its `define`/`block` templates, and fails with Go's messages
 * (`template: :1: unexpected "}" in operand`, `function "nope" not defined`).
 */
import { lex, ItemType } from './lex.ts';
import type { Item } from './lex.ts';
import {
  ActionNode,
  BoolNode,
  BreakNode,
  ChainNode,
  CommandNode,
  ContinueNode,
  DotNode,
  ElseNode,
  EndNode,
  FieldNode,
  IdentifierNode,
  IfNode,
  ListNode,
  NilNode,
  NumberNode,
  PipeNode,
  RangeNode,
  StringNode,
  TemplateNode,
  TextNode,
  VariableNode,
  WithNode,
} from './nodes.ts';
import type { ArgNode, Node } from './nodes.ts';
import { quoteString, unquote } from './strconv.ts';

/** A template parse failure; `message` is Go's text (`template: :1: …`). */
export class TemplateParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateParseError';
  }
}

/** The templates one source defines: `""` is the main one. */
export type TreeSet = Map<string, ListNode>;

function itemString(i: Item): string {
  if (i.typ === ItemType.EOF) return 'EOF';
  if (i.typ === ItemType.Error) return i.val;
  if (i.typ > ItemType.Keyword) return `<${i.val}>`;
  // Go: `%.10q...` past 10 bytes; the precision then keeps 10 runes.
  if (Buffer.byteLength(i.val, 'utf8') > 10) return quoteString(Array.from(i.val).slice(0, 10).join('')) + '...';
  return quoteString(i.val);
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

/** Underscores only between digits (or right after a base prefix), as Go's underscoreOK. */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s[0] === '+' || s[0] === '-') s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'xXbBoO'.includes(s[1] ?? '')) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i] ?? '';
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** strconv.ParseInt(text, 0, 64) / ParseUint: undefined when not an integer literal or out of range. */
function parseGoInteger(text: string, signed: boolean): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(text);
  if (m === null) return undefined;
  const [, sign = '', body = ''] = m;
  if (!signed && sign !== '') return undefined;
  if (body.includes('_') && !underscoreOK(body)) return undefined;
  const clean = body.replace(/_/g, '');
  let v: bigint;
  if (/^0[0-7]+$/.test(clean)) v = BigInt('0o' + clean.slice(1));
  else v = BigInt(clean);
  if (sign === '-') v = -v;
  if (signed ? v > INT64_MAX || v < INT64_MIN : v > UINT64_MAX) return undefined;
  return v;
}

/** strconv.ParseFloat(text, 64) for Go float literals. */
function parseGoFloat(text: string): number | undefined {
  if (text.includes('_') && !underscoreOK(text)) return undefined;
  const s = text.replace(/_/g, '');
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const v = Number(s);
    return Number.isFinite(v) ? v : undefined; // out of range is an error for ParseFloat
  }
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(s);
  if (hex !== null) {
    const [, sign, int = '', frac = '', exp = '0'] = hex;
    if (int === '' && frac === '') return undefined;
    const mant = BigInt('0x' + (int + frac || '0'));
    const v = Number(mant) * 2 ** (Number(exp) - 4 * frac.length);
    return sign === '-' ? -v : v;
  }
  return undefined;
}

function toInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * The UTF-16 length of the first character of `body` as Go's strconv.UnquoteChar reads it in a
 * `'` literal, or undefined where it fails: `\"`, a surrogate or a rune past U+10FFFF in `\u` or
 * `\U`, an octal escape past 255.
 */
function charLength(body: string): number | undefined {
  const c = body[0];
  if (c === undefined || c === "'") return undefined;
  if (c !== '\\') return (body.codePointAt(0) ?? 0) > 0xffff ? 2 : 1;
  const e = body[1] ?? '';
  if ('abfnrtv\\\''.includes(e) && e !== '') return 2;
  const hexDigits = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
  if (hexDigits > 0) {
    const digits = body.slice(2, 2 + hexDigits);
    if (digits.length !== hexDigits || !/^[0-9a-fA-F]+$/.test(digits)) return undefined;
    const v = Number.parseInt(digits, 16);
    if (e !== 'x' && (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))) return undefined;
    return 2 + hexDigits;
  }
  const octal = body.slice(1, 4);
  return /^[0-7]{3}$/.test(octal) && Number.parseInt(octal, 8) <= 255 ? 4 : undefined;
}

function newNumber(pos: number, text: string, typ: ItemType): NumberNode {
  const n = new NumberNode(pos, text);
  if (typ === ItemType.CharConstant) {
    const s = unquote(text);
    if (s === undefined) {
      // One valid character followed by more: Go calls it malformed; a bad escape is a syntax error.
      const first = charLength(text.slice(1));
      if (first !== undefined && text.length > first + 2) throw new Error(`malformed character constant: ${text}`);
      throw new Error('invalid syntax');
    }
    const cp = s.codePointAt(0) ?? 0;
    n.isInt = n.isUint = n.isFloat = true;
    n.int = cp;
    n.float = cp;
    return n;
  }
  if (typ === ItemType.Complex || text.endsWith('i')) {
    throw new Error(`complex constants are not supported: ${quoteString(text)}`);
  }
  const u = parseGoInteger(text, false);
  if (u !== undefined) n.isUint = true;
  const i = parseGoInteger(text, true);
  if (i !== undefined) {
    n.isInt = true;
    n.int = toInt(i);
    if (i === 0n) n.isUint = true;
  }
  if (n.isInt) {
    n.isFloat = true;
    n.float = Number(n.int);
  } else if (n.isUint && u !== undefined) {
    n.isFloat = true;
    n.float = Number(u);
  } else {
    const f = parseGoFloat(text);
    if (f !== undefined) {
      if (!/[.eEpP]/.test(text)) throw new Error(`integer overflow: ${quoteString(text)}`);
      n.isFloat = true;
      n.float = f;
      if (Number.isInteger(f) && Math.abs(f) < 2 ** 63) {
        n.isInt = true;
        n.int = Number.isSafeInteger(f) ? f : BigInt(f);
      }
      if (Number.isInteger(f) && f >= 0 && f < 2 ** 64) n.isUint = true;
    }
  }
  if (!n.isInt && !n.isUint && !n.isFloat) throw new Error(`illegal number syntax: ${quoteString(text)}`);
  return n;
}

/** What the parser needs to know about functions: whether a name is one. */
export type FunctionCheck = (name: string) => boolean;

class Parser {
  private readonly items: Item[];
  private index = 0;
  private readonly token: Item[] = [];
  private peekCount = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private actionLine = 0;
  private name = '';

  constructor(
    input: string,
    private readonly hasFunction: FunctionCheck,
    private readonly trees: TreeSet,
  ) {
    this.items = lex(input);
  }

  private nextItem(): Item {
    const item = this.items[this.index];
    if (item === undefined) {
      // The lexer stopped after an error or EOF; keep returning that last item.
      return this.items[this.items.length - 1] ?? { typ: ItemType.EOF, pos: 0, val: '', line: 1 };
    }
    this.index++;
    return item;
  }

  private next(): Item {
    if (this.peekCount > 0) this.peekCount--;
    else this.token[0] = this.nextItem();
    return this.token[this.peekCount] as Item;
  }

  private backup(): void {
    this.peekCount++;
  }

  private backup2(t1: Item): void {
    this.token[1] = t1;
    this.peekCount = 2;
  }

  private backup3(t2: Item, t1: Item): void {
    this.token[1] = t1;
    this.token[2] = t2;
    this.peekCount = 3;
  }

  private peek(): Item {
    if (this.peekCount > 0) return this.token[this.peekCount - 1] as Item;
    this.peekCount = 1;
    this.token[0] = this.nextItem();
    return this.token[0];
  }

  private nextNonSpace(): Item {
    let token: Item;
    do token = this.next();
    while (token.typ === ItemType.Space);
    return token;
  }

  private peekNonSpace(): Item {
    const token = this.nextNonSpace();
    this.backup();
    return token;
  }

  errorf(msg: string): never {
    const line = this.token[0]?.line ?? 1;
    throw new TemplateParseError(`template: ${this.name}:${line}: ${msg}`);
  }

  private expect(expected: ItemType, context: string): Item {
    const token = this.nextNonSpace();
    if (token.typ !== expected) this.unexpected(token, context);
    return token;
  }

  private expectOneOf(e1: ItemType, e2: ItemType, context: string): Item {
    const token = this.nextNonSpace();
    if (token.typ !== e1 && token.typ !== e2) this.unexpected(token, context);
    return token;
  }

  private unexpected(token: Item, context: string): never {
    if (token.typ === ItemType.Error) {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at ${this.name}:${this.actionLine}`;
        if (token.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(`${itemString(token)}${extra}`);
    }
    this.errorf(`unexpected ${itemString(token)} in ${context}`);
  }

  /** Parses the whole input into the tree set. */
  parse(): void {
    const root = new ListNode(this.peek().pos);
    while (this.peek().typ !== ItemType.EOF) {
      if (this.peek().typ === ItemType.LeftDelim) {
        const delim = this.next();
        if (this.nextNonSpace().typ === ItemType.Define) {
          this.parseDefinition();
          continue;
        }
        this.backup2(delim);
      }
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') this.errorf(`unexpected ${String(n)}`);
      else root.nodes.push(n);
    }
    this.addTree('', root);
  }

  private addTree(name: string, root: ListNode): void {
    const old = this.trees.get(name);
    // An empty definition never replaces a non-empty one; two non-empty ones clash.
    if (old === undefined || isEmptyTree(old)) {
      this.trees.set(name, root);
      return;
    }
    if (!isEmptyTree(root)) this.errorf(`template: multiple definition of template ${quoteString(name)}`);
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const nameTok = this.expectOneOf(ItemType.String, ItemType.RawString, context);
    const name = unquote(nameTok.val);
    if (name === undefined) this.errorf('invalid syntax');
    this.expect(ItemType.RightDelim, context);
    const savedVars = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    if (end.type !== 'end') this.errorf(`unexpected ${String(end)} in ${context}`);
    this.vars = savedVars;
    this.addTree(name, list);
  }

  private itemList(): [ListNode, Node] {
    const list = new ListNode(this.peekNonSpace().pos);
    while (this.peekNonSpace().typ !== ItemType.EOF) {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return [list, n];
      list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case ItemType.Text:
        return new TextNode(token.pos, token.val);
      case ItemType.LeftDelim: {
        this.actionLine = token.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      }
      default:
        this.unexpected(token, 'input');
    }
  }

  private action(): Node {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case ItemType.Block:
        return this.blockControl();
      case ItemType.Break:
        return this.breakControl(token.pos, token.line);
      case ItemType.Continue:
        return this.continueControl(token.pos, token.line);
      case ItemType.Else:
        return this.elseControl();
      case ItemType.End:
        return this.endControl();
      case ItemType.If:
        return this.ifControl();
      case ItemType.Range:
        return this.rangeControl();
      case ItemType.Template:
        return this.templateControl();
      case ItemType.With:
        return this.withControl();
      default:
        break;
    }
    this.backup();
    const t = this.peek();
    // Variables declared here persist until "end".
    return new ActionNode(t.pos, t.line, this.pipeline('command', ItemType.RightDelim));
  }

  private breakControl(pos: number, line: number): Node {
    const token = this.nextNonSpace();
    if (token.typ !== ItemType.RightDelim) this.unexpected(token, '{{break}}');
    if (this.rangeDepth === 0) this.errorf('{{break}} outside {{range}}');
    return new BreakNode(pos, line);
  }

  private continueControl(pos: number, line: number): Node {
    const token = this.nextNonSpace();
    if (token.typ !== ItemType.RightDelim) this.unexpected(token, '{{continue}}');
    if (this.rangeDepth === 0) this.errorf('{{continue}} outside {{range}}');
    return new ContinueNode(pos, line);
  }

  private pipeline(context: string, end: ItemType): PipeNode {
    const first = this.peekNonSpace();
    const pipe = new PipeNode(first.pos, first.line);
    // Are there declarations or assignments?
    decls: for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== ItemType.Variable) break;
      this.next();
      // "$x foo" needs three tokens of look-ahead to tell from "$x := foo".
      const tokenAfterVariable = this.peek();
      const next = this.peekNonSpace();
      if (next.typ === ItemType.Assign || next.typ === ItemType.Declare) {
        pipe.isAssign = next.typ === ItemType.Assign;
        this.nextNonSpace();
        pipe.decl.push(new VariableNode(v.pos, v.val));
        this.vars.push(v.val);
      } else if (next.typ === ItemType.Char && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push(new VariableNode(v.pos, v.val));
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace().typ;
          if (p === ItemType.Variable || p === ItemType.RightDelim || p === ItemType.RightParen) continue decls;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      } else if (tokenAfterVariable.typ === ItemType.Space) {
        this.backup3(v, tokenAfterVariable);
      } else {
        this.backup2(v);
      }
      break;
    }
    for (;;) {
      const token = this.nextNonSpace();
      switch (token.typ) {
        case end:
          this.checkPipeline(pipe, context);
          return pipe;
        case ItemType.Bool:
        case ItemType.CharConstant:
        case ItemType.Complex:
        case ItemType.Dot:
        case ItemType.Field:
        case ItemType.Identifier:
        case ItemType.Number:
        case ItemType.Nil:
        case ItemType.RawString:
        case ItemType.String:
        case ItemType.Variable:
        case ItemType.LeftParen:
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(token, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    for (let i = 1; i < pipe.cmds.length; i++) {
      const t = pipe.cmds[i]?.args[0]?.type;
      if (t === 'bool' || t === 'dot' || t === 'nil' || t === 'number' || t === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 1}`);
      }
    }
  }

  private parseControl(context: string): [number, number, PipeNode, ListNode, ListNode | null] {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, ItemType.RightDelim);
      if (context === 'range') this.rangeDepth++;
      const [list, first] = this.itemList();
      let next = first;
      if (context === 'range') this.rangeDepth--;
      let elseList: ListNode | null = null;
      if (next.type === 'else') {
        // "{{else if …}}" and "{{else with …}}" nest a new if/with that the outer {{end}} closes.
        if (context === 'if' && this.peek().typ === ItemType.If) {
          this.next();
          elseList = new ListNode(next.pos);
          elseList.nodes.push(this.ifControl());
        } else if (context === 'with' && this.peek().typ === ItemType.With) {
          this.next();
          elseList = new ListNode(next.pos);
          elseList.nodes.push(this.withControl());
        } else {
          [elseList, next] = this.itemList();
          if (next.type !== 'end') this.errorf(`expected end; found ${String(next)}`);
        }
      }
      return [pipe.pos, pipe.line, pipe, list, elseList];
    } finally {
      this.vars.length = mark;
    }
  }

  private ifControl(): Node {
    return new IfNode(...this.parseControl('if'));
  }

  private rangeControl(): Node {
    return new RangeNode(...this.parseControl('range'));
  }

  private withControl(): Node {
    return new WithNode(...this.parseControl('with'));
  }

  private endControl(): Node {
    return new EndNode(this.expect(ItemType.RightDelim, 'end').pos);
  }

  private elseControl(): Node {
    const peek = this.peekNonSpace();
    if (peek.typ === ItemType.If || peek.typ === ItemType.With) return new ElseNode(peek.pos, peek.line);
    const token = this.expect(ItemType.RightDelim, 'else');
    return new ElseNode(token.pos, token.line);
  }

  private blockControl(): Node {
    const context = 'block clause';
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    const pipe = this.pipeline(context, ItemType.RightDelim);
    const savedVars = this.vars;
    const savedRange = this.rangeDepth;
    this.vars = ['$'];
    this.rangeDepth = 0;
    const [list, end] = this.itemList();
    if (end.type !== 'end') this.errorf(`unexpected ${String(end)} in ${context}`);
    this.vars = savedVars;
    this.rangeDepth = savedRange;
    this.addTree(name, list);
    return new TemplateNode(token.pos, token.line, name, pipe);
  }

  private templateControl(): Node {
    const context = 'template clause';
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().typ !== ItemType.RightDelim) {
      this.backup();
      pipe = this.pipeline(context, ItemType.RightDelim);
    }
    return new TemplateNode(token.pos, token.line, name, pipe);
  }

  private parseTemplateName(token: Item, context: string): string {
    if (token.typ === ItemType.String || token.typ === ItemType.RawString) {
      const s = unquote(token.val);
      if (s === undefined) this.errorf('invalid syntax');
      return s;
    }
    this.unexpected(token, context);
  }

  private command(): CommandNode {
    const cmd = new CommandNode(this.peekNonSpace().pos);
    for (;;) {
      this.peekNonSpace(); // skip leading spaces
      const operand = this.operand();
      if (operand !== null) cmd.args.push(operand);
      const token = this.next();
      if (token.typ === ItemType.Space) continue;
      if (token.typ === ItemType.RightDelim || token.typ === ItemType.RightParen) this.backup();
      else if (token.typ !== ItemType.Pipe) this.unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): ArgNode | null {
    let node = this.term();
    if (node === null) return null;
    if (this.peek().typ === ItemType.Field) {
      const chain = new ChainNode(this.peek().pos, node);
      while (this.peek().typ === ItemType.Field) chain.add(this.next().val);
      // Fields and variables absorb the chain; literals can't have fields.
      switch (node.type) {
        case 'field':
          node = new FieldNode(chain.pos, String(chain));
          break;
        case 'variable':
          node = new VariableNode(chain.pos, String(chain));
          break;
        case 'bool':
        case 'string':
        case 'number':
        case 'nil':
        case 'dot':
          this.errorf(`unexpected . after term ${quoteString(String(node))}`);
          break;
        default:
          node = chain;
      }
    }
    return node;
  }

  private term(): ArgNode | null {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case ItemType.Identifier:
        if (!this.hasFunction(token.val)) this.errorf(`function ${quoteString(token.val)} not defined`);
        return new IdentifierNode(token.pos, token.val);
      case ItemType.Dot:
        return new DotNode(token.pos);
      case ItemType.Nil:
        return new NilNode(token.pos);
      case ItemType.Variable:
        return this.useVar(token.pos, token.val);
      case ItemType.Field:
        return new FieldNode(token.pos, token.val);
      case ItemType.Bool:
        return new BoolNode(token.pos, token.val === 'true');
      case ItemType.CharConstant:
      case ItemType.Complex:
      case ItemType.Number:
        try {
          return newNumber(token.pos, token.val, token.typ);
        } catch (err) {
          return this.errorf((err as Error).message);
        }
      case ItemType.LeftParen:
        return this.pipeline('parenthesized pipeline', ItemType.RightParen);
      case ItemType.String:
      case ItemType.RawString: {
        const s = unquote(token.val);
        if (s === undefined) this.errorf('invalid syntax');
        return new StringNode(token.pos, token.val, s);
      }
      default:
        this.backup();
        return null;
    }
  }

  private useVar(pos: number, name: string): VariableNode {
    const v = new VariableNode(pos, name);
    if (!this.vars.includes(v.ident[0] ?? '')) this.errorf(`undefined variable ${quoteString(v.ident[0] ?? '')}`);
    return v;
  }
}

function isEmptyTree(list: ListNode): boolean {
  return list.nodes.every((n) => n.type === 'text' && n.text.trim() === '');
}

/**
 * Parses `source` into its templates (the main one under `""`, plus every
 * `define`/`block`). Throws TemplateParseError with Go's message.
 */
export function parseTemplate(source: string, hasFunction: FunctionCheck): TreeSet {
  const trees: TreeSet = new Map();
  new Parser(source, hasFunction, trees).parse();
  return trees;
}
