/**
 * A container's environment, by docker's rules: the CLI collects `--env-file` lines then
 * `-e` flags (a bare `KEY` takes the caller's value, or stays bare to unset the variable);
 * the daemon puts those before the image's variables they don't override, then lays the
 * result over `PATH`, `HOSTNAME` and (with `-t`) `TERM=xterm`.
 */
import { invalidArgument } from '../errdefs/index.ts';

/** The PATH docker gives a Linux container whose image sets none. */
export const DEFAULT_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type EnvLookup = (key: string) => string | undefined;

const keyOf = (entry: string): string => {
  const eq = entry.indexOf('=');
  return eq < 0 ? entry : entry.slice(0, eq);
};

/**
 * One `-e` value as docker/cli's ValidateEnv sees it: `KEY=VALUE` as is; a bare `KEY` takes
 * the caller's value when it has one, else stays bare (which unsets it in the container).
 * @throws invalid-argument `invalid environment variable: =x` for an empty name.
 */
export function resolveEnvFlag(value: string, lookup: EnvLookup = (k) => process.env[k]): string {
  const key = keyOf(value);
  if (key === '') throw invalidArgument(`invalid environment variable: ${value}`);
  if (value.includes('=')) return value;
  const found = lookup(key);
  return found === undefined ? value : `${key}=${found}`;
}

/**
 * Parses an `--env-file` as docker/cli does: UTF-8, BOM dropped, leading whitespace trimmed,
 * `#` comments and blank lines skipped, `KEY=VALUE` kept verbatim (no quotes, no
 * interpolation), a bare `KEY` replaced by the caller's value or dropped when unset.
 * @throws invalid-argument naming the file and line for bad UTF-8, a missing name, or a name with whitespace.
 */
export function parseEnvFile(content: Buffer | string, fileName: string, lookup: EnvLookup = (k) => process.env[k]): string[] {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  const out: string[] = [];
  let lineNo = 0;
  let start = 0;
  while (start < buf.length) {
    let end = buf.indexOf(0x0a, start);
    if (end < 0) end = buf.length;
    lineNo += 1;
    let bytes = buf.subarray(start, end);
    start = end + 1;
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw invalidArgument(`invalid env file (${fileName}): invalid utf8 bytes at line ${lineNo}: [${[...bytes].join(' ')}]`);
    }
    if (lineNo === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
    const line = text.replace(/^\s+/u, '');
    if (line === '' || line.startsWith('#')) continue;
    const key = keyOf(line);
    if (key === '') throw invalidArgument(`invalid env file (${fileName}): no variable name on line '${line}'`);
    if (/[ \t]/.test(key)) throw invalidArgument(`invalid env file (${fileName}): variable '${key}' contains whitespaces`);
    if (line.includes('=')) {
      out.push(line);
    } else {
      const found = lookup(line);
      if (found !== undefined) out.push(`${key}=${found}`);
    }
  }
  return out;
}

/**
 * The `Config.Env` list docker/cli sends: every env file's entries in order, then the `-e`
 * flags (each resolved with `resolveEnvFlag`), so later ones win.
 */
export function collectRunEnv(input: {
  envFiles?: Array<{ name: string; content: Buffer | string }>;
  env?: string[];
  lookup?: EnvLookup;
}): string[] {
  const lookup = input.lookup ?? ((k: string) => process.env[k]);
  const out: string[] = [];
  for (const file of input.envFiles ?? []) out.push(...parseEnvFile(file.content, file.name, lookup));
  for (const flag of input.env ?? []) out.push(resolveEnvFlag(flag, lookup));
  return out;
}

/**
 * The daemon's merge at create: the run's entries first, then each image entry whose name
 * the run doesn't mention. This is what `inspect` shows as `Config.Env`.
 */
export function mergeImageEnv(imageEnv: readonly string[] | null | undefined, runEnv: readonly string[] | undefined): string[] {
  const run = [...(runEnv ?? [])];
  if (run.length === 0) return [...(imageEnv ?? [])];
  const runKeys = new Set(run.map(keyOf));
  for (const entry of imageEnv ?? []) if (!runKeys.has(keyOf(entry))) run.push(entry);
  return run;
}

/**
 * The process environment: `PATH`, `HOSTNAME` and `TERM=xterm` (with a tty), each replaced in
 * place by a configured value of the same name, then the other configured entries in order;
 * a bare `KEY` removes that name.
 */
export function containerProcessEnv(configEnv: readonly string[], hostname: string, tty: boolean): string[] {
  const base: Array<string | null> = [`PATH=${DEFAULT_PATH_ENV}`, `HOSTNAME=${hostname}`];
  if (tty) base.push('TERM=xterm');
  return replaceOrAppendEnv(base, configEnv);
}

/** docker's ReplaceOrAppendEnvValues: overrides replace same-named defaults in place; bare names remove. */
export function replaceOrAppendEnv(defaults: ReadonlyArray<string | null>, overrides: readonly string[]): string[] {
  const out: Array<string | null> = [...defaults];
  const index = new Map<string, number>();
  out.forEach((e, i) => { if (e !== null) index.set(keyOf(e), i); });
  for (const value of overrides) {
    const key = keyOf(value);
    const at = index.get(key);
    if (!value.includes('=')) {
      if (at !== undefined) out[at] = null;
      continue;
    }
    // Like docker, only the defaults are looked up: repeated overrides are all appended.
    if (at !== undefined) out[at] = value;
    else out.push(value);
  }
  return out.filter((e): e is string => e !== null && e !== '');
}
