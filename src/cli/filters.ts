/** docker's `--filter key=value` flags, gathered into key → values. */
import { invalidArgument } from '../errdefs/index.ts';

export function parseFilters(values: string[] | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw invalidArgument(`bad format of filter (expected name=value)`);
    let key = value.slice(0, eq).trim().toLowerCase();
    let v = value.slice(eq + 1);
    // `label!=x` keeps its bang on the key, as docker does.
    if (key.endsWith('!')) {
      key = key.slice(0, -1).trim() + '!';
    } else if (v.startsWith('=')) {
      v = v.slice(1);
    }
    out.set(key, [...(out.get(key) ?? []), v]);
  }
  return out;
}
