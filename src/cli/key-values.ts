/** `key=value` flag values (`--label`, `--opt`) into a map; a bare key gets ''. */
import { invalidArgument } from '../errdefs/index.ts';

export function keyValues(values: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    if (key === '') throw invalidArgument(`invalid argument "${v}" for "--${flag}" flag: empty key`);
    out[key] = eq < 0 ? '' : v.slice(eq + 1);
  }
  return out;
}
