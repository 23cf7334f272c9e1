/**
 * The end of every `inspect` command: the rendered values on stdout, then one `Error:` line
 * per reference that failed and per value the template failed on; exit 1 if there was any.
 */
import type { StrataError } from '../errdefs/index.ts';
import type { CliContext } from './context.ts';
import { renderInspect } from './format/render.ts';

export function printInspect(ctx: CliContext, values: unknown[], format: string | undefined, errors: StrataError[]): number {
  const result = renderInspect(values, format ?? '');
  ctx.write(result.output);
  for (const err of [...errors, ...result.errors]) ctx.warn(`Error: ${err.message}`);
  return errors.length + result.errors.length > 0 ? 1 : 0;
}
