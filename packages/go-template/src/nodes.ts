/**
 * The parse tree of a Go template (text/template/parse's node types). `toString()`
 * reproduces Go's `Node.String()`, which error messages quote (`at <.Nope>`,
 * `unexpected {{end}}`).
 */
import { quoteString } from './strconv.ts';

export type Node =
  | TextNode
  | ActionNode
  | PipeNode
  | CommandNode
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | FieldNode
  | ChainNode
  | BoolNode
  | NumberNode
  | StringNode
  | EndNode
  | ElseNode
  | IfNode
  | RangeNode
  | WithNode
  | TemplateNode
  | BreakNode
  | ContinueNode
  | ListNode;

export class ListNode {
  readonly type = 'list';
  readonly nodes: Node[] = [];
  constructor(readonly pos: number) {}
  toString(): string {
    return this.nodes.map(String).join('');
  }
}

export class TextNode {
  readonly type = 'text';
  constructor(readonly pos: number, readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export class PipeNode {
  readonly type = 'pipe';
  isAssign = false;
  readonly decl: VariableNode[] = [];
  readonly cmds: CommandNode[] = [];
  constructor(readonly pos: number, readonly line: number) {}
  toString(): string {
    let s = '';
    if (this.decl.length > 0) {
      s = this.decl.map(String).join(', ') + (this.isAssign ? ' = ' : ' := ');
    }
    return s + this.cmds.map(String).join(' | ');
  }
}

export class ActionNode {
  readonly type = 'action';
  constructor(readonly pos: number, readonly line: number, readonly pipe: PipeNode) {}
  toString(): string {
    return `{{${String(this.pipe)}}}`;
  }
}

export type ArgNode =
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | FieldNode
  | ChainNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

export class CommandNode {
  readonly type = 'command';
  readonly args: ArgNode[] = [];
  constructor(readonly pos: number) {}
  toString(): string {
    return this.args.map((a) => (a.type === 'pipe' ? `(${String(a)})` : String(a))).join(' ');
  }
}

export class IdentifierNode {
  readonly type = 'identifier';
  constructor(readonly pos: number, readonly ident: string) {}
  toString(): string {
    return this.ident;
  }
}

export class VariableNode {
  readonly type = 'variable';
  readonly ident: string[];
  constructor(readonly pos: number, name: string) {
    this.ident = name.split('.');
  }
  toString(): string {
    return this.ident.join('.');
  }
}

export class DotNode {
  readonly type = 'dot';
  constructor(readonly pos: number) {}
  toString(): string {
    return '.';
  }
}

export class NilNode {
  readonly type = 'nil';
  constructor(readonly pos: number) {}
  toString(): string {
    return 'nil';
  }
}

export class FieldNode {
  readonly type = 'field';
  readonly ident: string[];
  constructor(readonly pos: number, name: string) {
    this.ident = name.slice(1).split('.');
  }
  toString(): string {
    return '.' + this.ident.join('.');
  }
}

export class ChainNode {
  readonly type = 'chain';
  readonly field: string[] = [];
  constructor(readonly pos: number, readonly node: ArgNode) {}
  add(field: string): void {
    if (field[0] !== '.') throw new Error('no dot in field');
    this.field.push(field.slice(1));
  }
  toString(): string {
    const base = this.node.type === 'pipe' ? `(${String(this.node)})` : String(this.node);
    return base + this.field.map((f) => '.' + f).join('');
  }
}

export class BoolNode {
  readonly type = 'bool';
  constructor(readonly pos: number, readonly value: boolean) {}
  toString(): string {
    return this.value ? 'true' : 'false';
  }
}

export class NumberNode {
  readonly type = 'number';
  isInt = false;
  isUint = false;
  isFloat = false;
  isComplex = false;
  /** The int64 value when isInt (a bigint only beyond 2^53). */
  int: number | bigint = 0;
  float = 0;
  constructor(readonly pos: number, readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export class StringNode {
  readonly type = 'string';
  constructor(readonly pos: number, readonly quoted: string, readonly text: string) {}
  toString(): string {
    return this.quoted;
  }
}

export class EndNode {
  readonly type = 'end';
  constructor(readonly pos: number) {}
  toString(): string {
    return '{{end}}';
  }
}

export class ElseNode {
  readonly type = 'else';
  constructor(readonly pos: number, readonly line: number) {}
  toString(): string {
    return '{{else}}';
  }
}

abstract class BranchNode {
  constructor(
    readonly pos: number,
    readonly line: number,
    readonly pipe: PipeNode,
    readonly list: ListNode,
    readonly elseList: ListNode | null,
  ) {}
  protected branchString(name: string): string {
    const e = this.elseList === null ? '' : `{{else}}${String(this.elseList)}`;
    return `{{${name} ${String(this.pipe)}}}${String(this.list)}${e}{{end}}`;
  }
}

export class IfNode extends BranchNode {
  readonly type = 'if';
  override toString(): string {
    return this.branchString('if');
  }
}

export class RangeNode extends BranchNode {
  readonly type = 'range';
  override toString(): string {
    return this.branchString('range');
  }
}

export class WithNode extends BranchNode {
  readonly type = 'with';
  override toString(): string {
    return this.branchString('with');
  }
}

export class TemplateNode {
  readonly type = 'template';
  constructor(
    readonly pos: number,
    readonly line: number,
    readonly name: string,
    readonly pipe: PipeNode | null,
  ) {}
  toString(): string {
    const q = quoteString(this.name);
    return this.pipe === null ? `{{template ${q}}}` : `{{template ${q} ${String(this.pipe)}}}`;
  }
}

export class BreakNode {
  readonly type = 'break';
  constructor(readonly pos: number, readonly line: number) {}
  toString(): string {
    return '{{break}}';
  }
}

export class ContinueNode {
  readonly type = 'continue';
  constructor(readonly pos: number, readonly line: number) {}
  toString(): string {
    return '{{continue}}';
  }
}
