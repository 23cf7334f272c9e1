/**
 * A parsed Go template, ready to execute many times: parse once, execute per row.
 */
import { execute, TemplateExecError } from './exec.ts';
import type { ExecContext, MissingKey } from './exec.ts';
import { builtins } from './funcs.ts';
import type { FuncMap } from './funcs.ts';
import { parseTemplate, TemplateParseError } from './parse.ts';
import type { TreeSet } from './parse.ts';

const builtinNames: ReadonlySet<string> = new Set(Object.keys(builtins));

export interface ExecuteOptions {
  /** Go's `missingkey` option: what `.Key` gives for a key a map lacks. Default: `<no value>`. */
  missingKey?: MissingKey;
  /** Replaces functions by name for this execution (e.g. pass-through functions for a table header). */
  funcs?: FuncMap;
}

/**
 * A template that does not parse or fails while executing: the message is Go's, and for
 * execution errors `partial` holds the output written before the failure.
 */
export class TemplateError extends Error {
  /** The text the template wrote before it failed (Go writes as it goes). */
  readonly partial: string;
  constructor(message: string, partial: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TemplateError';
    this.partial = partial;
  }
}

export class GoTemplate {
  private readonly contexts = new Map<string, ExecContext>();

  private constructor(
    readonly source: string,
    private readonly trees: TreeSet,
    private readonly funcs: FuncMap,
  ) {}

  /**
   * Parses `source` with Go's text/template syntax; `funcs` adds functions to the
   * built-in ones. Throws TemplateError with Go's message, e.g. `template: :1: unclosed action`.
   */
  static parse(source: string, funcs: FuncMap = {}): GoTemplate {
    const all: FuncMap = { ...builtins, ...funcs };
    try {
      const trees = parseTemplate(source, (name) => Object.hasOwn(all, name));
      return new GoTemplate(source, trees, all);
    } catch (err) {
      if (err instanceof TemplateParseError) throw new TemplateError(err.message, '');
      if (err instanceof RangeError) throw new TemplateError('template: :1: template nested too deeply', '');
      // Not the template's fault: a defect of the parser, reported as such.
      throw new Error(`parsing template: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  /** The names of the templates the source defines (`""` is the main one). */
  get names(): string[] {
    return [...this.trees.keys()];
  }

  /**
   * Executes the main template (or `name`) over `data`. Throws TemplateError with Go's
   * message, e.g.
   * `template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type T`;
   * its `partial` holds what was written before the error. Anything else thrown while
   * executing (outside a function or method call, which Go reports as `error calling`)
   * becomes a TemplateError `template: executing: …` with the original as its cause.
   */
  execute(data: unknown, options: ExecuteOptions = {}, name = ''): string {
    const missingKey = options.missingKey ?? 'default';
    const key = missingKey + (options.funcs === undefined ? '' : ':custom');
    let ctx = options.funcs === undefined ? this.contexts.get(key) : undefined;
    if (ctx === undefined) {
      ctx = {
        trees: this.trees,
        source: this.source,
        funcs: options.funcs === undefined ? this.funcs : { ...this.funcs, ...options.funcs },
        builtinNames,
        missingKey,
      };
      if (options.funcs === undefined) this.contexts.set(key, ctx);
    }
    try {
      return execute(ctx, name, data);
    } catch (err) {
      if (err instanceof TemplateExecError) throw new TemplateError(err.message, err.partial);
      throw new TemplateError(`template: executing: ${err instanceof Error ? err.message : String(err)}`, '', { cause: err });
    }
  }
}
