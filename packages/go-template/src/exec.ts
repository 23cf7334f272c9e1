/**
 * The executor of Go's text/template: walks a parsed tree over a value, with Go's
 * evaluation rules (fields, methods, map keys, pipelines, variables and their scopes,
 * range/with/if, template calls) and Go's execution error messages
 * (`template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type T`).
 */
import { printOne } from './fmt.ts';
import { callFunction, paramTypeName } from './funcs.ts';
import type { FuncMap, GoFunc, ParamType } from './funcs.ts';
import type {
  ArgNode,
  ChainNode,
  CommandNode,
  FieldNode,
  IdentifierNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
  RangeNode,
  TemplateNode,
  VariableNode,
} from './nodes.ts';
import type { TreeSet } from './parse.ts';
import { quoteString } from './strconv.ts';
import { GoFloat, GoStruct, goTypeName, isGoInt, isPlainObject, isTrue, mapZeroValue, sortedEntries } from './values.ts';

/** An execution failure; `message` is Go's text. `partial` is what was written before it. */
export class TemplateExecError extends Error {
  constructor(message: string, readonly partial: string) {
    super(message);
    this.name = 'TemplateExecError';
  }
}

/** What a missing map key gives: Go's `missingkey=default|zero|error` option. */
export type MissingKey = 'default' | 'zero' | 'error';

export interface ExecContext {
  readonly trees: TreeSet;
  readonly source: string;
  readonly funcs: FuncMap;
  readonly builtinNames: ReadonlySet<string>;
  readonly missingKey: MissingKey;
}

/** The "no final value" marker, distinct from undefined (the invalid value). */
const MISSING: unique symbol = Symbol('missing');
type Final = unknown;

const BREAK: unique symbol = Symbol('break');
const CONTINUE: unique symbol = Symbol('continue');

/** Template calls nest at most this deep (Go allows 100000; JavaScript's stack does not). */
export const MAX_EXEC_DEPTH = 1000;

interface Variable {
  name: string;
  value: unknown;
}

class ExecFailure {
  constructor(readonly message: string) {}
}

function byteOffsetToLineCol(source: string, pos: number): [number, number] {
  const text = /^[\x00-\x7f]*$/.test(source) ? source.slice(0, pos) : Buffer.from(source, 'utf8').subarray(0, pos).toString('utf8');
  const lastNl = text.lastIndexOf('\n');
  let line = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  if (lastNl === -1) return [line, pos];
  return [line, Buffer.byteLength(text.slice(lastNl + 1), 'utf8')];
}

class State {
  out = '';
  node: Node | null = null;
  vars: Variable[];
  depth = 0;

  constructor(
    private readonly ctx: ExecContext,
    private tmplName: string,
    dot: unknown,
  ) {
    this.vars = [{ name: '$', value: dot }];
  }

  at(node: Node): void {
    this.node = node;
  }

  errorf(msg: string): never {
    const name = this.tmplName;
    if (this.node === null) throw new ExecFailure(`template: ${name}: ${msg}`);
    const [line, col] = byteOffsetToLineCol(this.ctx.source, this.node.pos);
    throw new ExecFailure(`template: :${line}:${col}: executing ${quoteString(name)} at <${String(this.node)}>: ${msg}`);
  }

  // Variables.
  mark(): number {
    return this.vars.length;
  }

  pop(mark: number): void {
    this.vars.length = mark;
  }

  push(name: string, value: unknown): void {
    this.vars.push({ name, value });
  }

  setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v !== undefined && v.name === name) {
        v.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  setTopVar(n: number, value: unknown): void {
    const v = this.vars[this.vars.length - n];
    if (v !== undefined) v.value = value;
  }

  varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v !== undefined && v.name === name) return v.value;
    }
    this.errorf(`undefined variable: ${name}`);
  }

  walk(dot: unknown, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
      case 'if':
      case 'with':
        return this.walkIfOrWith(node.type, dot, node.pipe, node.list, node.elseList);
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'range':
        return this.walkRange(dot, node);
      case 'template':
        return this.walkTemplate(dot, node);
      case 'text':
        this.out += node.text;
        return;
      default:
        this.errorf(`unknown node: ${String(node)}`);
    }
  }

  walkIfOrWith(typ: 'if' | 'with', dot: unknown, pipe: PipeNode, list: ListNode, elseList: ListNode | null): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, pipe);
      if (isTrue(val)) this.walk(typ === 'with' ? val : dot, list);
      else if (elseList !== null) this.walk(dot, elseList);
    } finally {
      this.pop(mark);
    }
  }

  walkRange(dot: unknown, r: RangeNode): void {
    this.at(r);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const decl = r.pipe.decl;
      const oneIteration = (index: unknown, elem: unknown): void => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) {
            if (decl.length > 1) this.setVar(decl[0]?.ident[0] ?? '', index);
            else this.setVar(decl[0]?.ident[0] ?? '', elem);
          } else {
            this.setTopVar(1, elem);
          }
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]?.ident[0] ?? '', elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          this.pop(mark);
        }
      };
      let ran = false;
      try {
        if (Array.isArray(val) || val instanceof Uint8Array) {
          for (let i = 0; i < val.length; i++) {
            ran = true;
            oneIteration(i, val[i]);
          }
        } else if (val instanceof Map || isPlainObject(val)) {
          for (const [k, v] of sortedEntries(val)) {
            ran = true;
            oneIteration(k, v);
          }
        } else if (val === undefined || val === null) {
          // An invalid value is likely a nil map: not an error.
        } else if (isGoInt(val)) {
          if (decl.length > 1) this.errorf(`can't use ${printOne(val)} to iterate over more than one variable`);
          const n = Number(val);
          for (let i = 0; i < n; i++) {
            ran = true;
            oneIteration(undefined, i);
          }
        } else {
          this.errorf(`range can't iterate over ${printOne(val)}`);
        }
      } catch (e) {
        if (e !== BREAK) throw e;
        return;
      }
      if (!ran && r.elseList !== null) this.walk(dot, r.elseList);
    } finally {
      this.pop(outer);
    }
  }

  walkTemplate(dot: unknown, t: TemplateNode): void {
    this.at(t);
    const tree = this.ctx.trees.get(t.name);
    if (tree === undefined) this.errorf(`template ${quoteString(t.name)} not defined`);
    if (this.depth >= MAX_EXEC_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
    const newDot = this.evalPipeline(dot, t.pipe);
    // No dynamic scoping: the called template sees only $ (its dot).
    const savedVars = this.vars;
    const savedName = this.tmplName;
    this.vars = [{ name: '$', value: newDot }];
    this.tmplName = t.name;
    this.depth++;
    try {
      this.walk(newDot, tree);
    } finally {
      this.depth--;
      this.vars = savedVars;
      this.tmplName = savedName;
    }
  }

  evalPipeline(dot: unknown, pipe: PipeNode | null): unknown {
    if (pipe === null) return undefined;
    this.at(pipe);
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // A nil interface{} digs down to the invalid value (prints <no value>).
      if (value === null) value = undefined;
    }
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0] ?? '', value);
      else this.push(v.ident[0] ?? '', value);
    }
    return value;
  }

  notAFunction(args: readonly ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.errorf(`can't give argument to non-function ${String(args[0])}`);
  }

  evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0];
    if (first === undefined) this.errorf('empty command');
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
      default:
        break;
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.errorf('nil is not a command');
      // falls through: errorf never returns
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
  }

  idealConstant(n: NumberNode): unknown {
    this.at(n);
    const t = n.text;
    const isHexInt = t.length > 2 && t[0] === '0' && (t[1] === 'x' || t[1] === 'X') && !/[pP]/.test(t);
    const isRuneInt = t[0] === "'";
    if (n.isFloat && !isHexInt && !isRuneInt && /[.eEpP]/.test(t)) {
      return Number.isInteger(n.float) ? new GoFloat(n.float) : n.float;
    }
    if (n.isInt) return n.int;
    if (n.isUint) this.errorf(`${t} overflows int`);
    return undefined;
  }

  evalFieldNode(dot: unknown, field: FieldNode, args: readonly ArgNode[], final: Final): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  evalChainNode(dot: unknown, chain: ChainNode, args: readonly ArgNode[], final: Final): unknown {
    this.at(chain);
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${String(chain)}`);
    const pipe = this.evalArg(dot, null, chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  evalVariableNode(dot: unknown, variable: VariableNode, args: readonly ArgNode[] | null, final: Final): unknown {
    this.at(variable);
    const value = this.varValue(variable.ident[0] ?? '');
    if (variable.ident.length === 1) {
      if (args !== null) this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: Node,
    ident: readonly string[],
    args: readonly ArgNode[] | null,
    final: Final,
  ): unknown {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) receiver = this.evalField(dot, ident[i] ?? '', node, null, MISSING, receiver);
    return this.evalField(dot, ident[n - 1] ?? '', node, args, final, receiver);
  }

  evalField(
    dot: unknown,
    fieldName: string,
    node: Node,
    args: readonly ArgNode[] | null,
    final: Final,
    receiver: unknown,
  ): unknown {
    if (receiver === undefined) {
      if (this.ctx.missingKey === 'error') this.errorf(`nil data; no entry for key ${quoteString(fieldName)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    const hasArgs = (args !== null && args.length > 1) || final !== MISSING;
    if (receiver instanceof GoStruct) {
      const fields = receiver.fields;
      if (Object.hasOwn(fields, fieldName)) {
        const value = fields[fieldName];
        if (typeof value === 'function') return this.evalMethod(dot, value, fields, node, fieldName, args, final);
        const c = fieldName.charCodeAt(0);
        if (!(c >= 65 && c <= 90) && /^[a-z_]/.test(fieldName)) {
          this.errorf(`${fieldName} is an unexported field of struct type ${receiver.typeName}`);
        }
        if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
        return value;
      }
      this.errorf(`can't evaluate field ${fieldName} in type ${receiver.typeName}`);
    }
    if (receiver instanceof Map || isPlainObject(receiver)) {
      const m = receiver;
      if (!(m instanceof Map)) {
        const value = Object.hasOwn(m, fieldName) ? m[fieldName] : undefined;
        if (typeof value === 'function') return this.evalMethod(dot, value, m, node, fieldName, args, final);
      }
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      const present = m instanceof Map ? m.has(fieldName) : Object.hasOwn(m, fieldName);
      if (present) return m instanceof Map ? m.get(fieldName) : m[fieldName];
      switch (this.ctx.missingKey) {
        case 'zero':
          return mapZeroValue(m);
        case 'error':
          this.errorf(`map has no entry for key ${quoteString(fieldName)}`);
        // falls through: errorf never returns
        default:
          return undefined;
      }
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${goTypeName(receiver)}`);
  }

  /** Calls a JavaScript function property as a Go method, its arguments as interface{} values. */
  evalMethod(
    dot: unknown,
    method: unknown,
    self: object,
    node: Node,
    name: string,
    args: readonly ArgNode[] | null,
    final: Final,
  ): unknown {
    const argNodes = args === null ? [] : args.slice(1);
    const argv: unknown[] = argNodes.map((a) => this.evalArg(dot, 'any', a));
    if (final !== MISSING) argv.push(this.validateType(final, 'any'));
    let v: unknown;
    try {
      v = (method as (...a: unknown[]) => unknown).apply(self, argv);
    } catch (err) {
      if (err instanceof ExecFailure) throw err;
      this.at(node);
      this.errorf(`error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return v;
  }

  evalFunction(dot: unknown, node: IdentifierNode, cmd: Node, args: readonly ArgNode[] | null, final: Final): unknown {
    this.at(node);
    const name = node.ident;
    const f = this.ctx.funcs[name];
    if (f === undefined) this.errorf(`${quoteString(name)} is not a defined function`);
    return this.evalCall(dot, f, this.ctx.builtinNames.has(name), cmd, name, args, final);
  }

  evalCall(
    dot: unknown,
    f: GoFunc,
    isBuiltin: boolean,
    node: Node,
    name: string,
    args: readonly ArgNode[] | null,
    final: Final,
  ): unknown {
    const argNodes = args === null ? [] : args.slice(1);
    const hasFinal = final !== MISSING;
    const numIn = argNodes.length + (hasFinal ? 1 : 0);
    const numFixed = f.params.length;
    if (f.variadic !== undefined) {
      if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${argNodes.length}`);
    } else if (numIn !== numFixed) {
      this.errorf(`wrong number of args for ${name}: want ${numFixed} got ${numIn}`);
    }

    if (isBuiltin && (name === 'and' || name === 'or')) {
      let v: unknown;
      for (const arg of argNodes) {
        v = this.evalArg(dot, 'value', arg);
        if (isTrue(v) === (name === 'or')) return v;
      }
      if (hasFinal) v = this.validateType(final, 'value');
      return v;
    }

    const argv: unknown[] = [];
    let i = 0;
    for (; i < numFixed && i < argNodes.length; i++) argv.push(this.evalArg(dot, f.params[i] ?? 'any', argNodes[i] as ArgNode));
    if (f.variadic !== undefined) for (; i < argNodes.length; i++) argv.push(this.evalArg(dot, f.variadic, argNodes[i] as ArgNode));
    if (hasFinal) {
      let t: ParamType;
      if (f.variadic !== undefined) t = numIn - 1 < numFixed ? (f.params[numIn - 1] ?? 'any') : f.variadic;
      else t = f.params[f.params.length - 1] ?? 'any';
      argv.push(this.validateType(final, t));
    }

    try {
      if (isBuiltin && name === 'call') {
        const calleeName = argNodes.length === 0 ? printOne(final) : String(argNodes[0]);
        return callFunction(calleeName, argv[0], argv.slice(1));
      }
      return (f.fn as (...a: unknown[]) => unknown)(...argv);
    } catch (err) {
      if (err instanceof ExecFailure) throw err;
      this.at(node);
      this.errorf(`error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Checks a computed value against a parameter type (Go's validateType). */
  validateType(value: unknown, typ: ParamType | null): unknown {
    if (value === undefined) {
      // interface{} and slices take nil; reflect.Value takes the invalid value itself.
      if (typ === null || typ === 'value') return undefined;
      if (typ === 'any' || typ === 'strings') return null;
      this.errorf(`invalid value; expected ${paramTypeName[typ]}`);
    }
    switch (typ) {
      case null:
      case 'any':
      case 'value':
        return value;
      case 'string':
        if (typeof value === 'string') return value;
        break;
      case 'int':
        if (isGoInt(value)) return typeof value === 'bigint' ? Number(value) : value;
        break;
      case 'strings':
        if (value === null) return null;
        if (Array.isArray(value) && value.every((x) => typeof x === 'string')) return value;
        break;
    }
    this.errorf(`wrong type for value; expected ${paramTypeName[typ]}; got ${value === null ? 'interface {}' : goTypeName(value)}`);
  }

  evalArg(dot: unknown, typ: ParamType | null, n: ArgNode): unknown {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, typ);
      case 'nil':
        if (typ === 'any' || typ === 'strings') return null;
        if (typ === 'value') return undefined;
        this.errorf(`cannot assign nil to ${typ === null ? 'interface {}' : paramTypeName[typ]}`);
      // falls through: errorf never returns
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, null, MISSING), typ);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, null, MISSING), typ);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, [], MISSING), typ);
      default:
        break;
    }
    switch (typ) {
      case 'string':
        if (n.type === 'string') return n.text;
        this.errorf(`expected string; found ${String(n)}`);
      // falls through: errorf never returns
      case 'int':
        if (n.type === 'number' && n.isInt) return typeof n.int === 'bigint' ? Number(n.int) : n.int;
        this.errorf(`expected integer; found ${String(n)}`);
      // falls through: errorf never returns
      case 'strings':
        this.errorf(`can't handle ${String(n)} for arg of type []string`);
      // falls through: errorf never returns
      default:
        switch (n.type) {
          case 'bool':
            return n.value;
          case 'number':
            return this.idealConstant(n);
          case 'string':
            return n.text;
        }
    }
    return undefined;
  }

  printValue(node: Node, v: unknown): void {
    this.at(node);
    if (v === undefined) {
      this.out += '<no value>';
      return;
    }
    if (typeof v === 'function') this.errorf(`can't print ${String(node)} of type func()`);
    this.out += typeof v === 'string' ? v : printOne(v);
  }
}

/**
 * Executes the template `name` of `ctx` over `data` and returns the text.
 * Throws TemplateExecError with Go's message (and the text written before the error).
 */
export function execute(ctx: ExecContext, name: string, data: unknown): string {
  const tree = ctx.trees.get(name);
  const s = new State(ctx, name, data);
  try {
    if (tree === undefined) return s.errorf(`${quoteString(name)} is an incomplete or empty template`);
    s.walk(data, tree);
  } catch (err) {
    if (err instanceof ExecFailure) throw new TemplateExecError(err.message, s.out);
    if (err instanceof RangeError) throw new TemplateExecError(`template: ${name}: nested too deeply to execute`, s.out);
    throw err;
  }
  return s.out;
}
