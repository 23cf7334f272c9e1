/**
 * Where the supervisor binary is. `scripts/setup.sh` compiles it to `dist/strata-shim`;
 * `STRATA_SHIM` overrides that; `ensureShim` compiles it into a cache directory when
 * neither exists and gcc is there (tests, benchmarks, a fresh checkout).
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unavailable } from '../errdefs/index.ts';
import { childProcess } from '../internal/index.ts';

/** The repository (or installed package) root: the nearest parent with strata's package.json. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'strata') return dir;
      } catch { /* keep looking */ }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The shim's C source, if this is a checkout. */
export function shimSource(): string | undefined {
  const root = packageRoot();
  const src = root === undefined ? undefined : join(root, 'src/runtime/shim/strata-shim.c');
  return src !== undefined && existsSync(src) ? src : undefined;
}

/** `STRATA_SHIM`, else `<package>/dist/strata-shim`; undefined when neither is executable. */
export function locateShim(): string | undefined {
  const env = process.env['STRATA_SHIM'];
  if (env) return executable(env) ? env : undefined;
  const root = packageRoot();
  const built = root === undefined ? undefined : join(root, 'dist/strata-shim');
  return built !== undefined && executable(built) ? built : undefined;
}

/** The command setup.sh runs to build the shim. */
export const SHIM_BUILD_COMMAND = 'gcc -O2 -Wall -Wextra -o dist/strata-shim src/runtime/shim/strata-shim.c';

/**
 * The shim binary: the located one, else one compiled from the source into `cacheDir`
 * (named by the source's hash, so an edit rebuilds it). `fromSource` skips the located
 * one (tests build what they test).
 * @throws unavailable when there is no binary and it can't be built.
 */
export function ensureShim(cacheDir: string, options: { fromSource?: boolean } = {}): string {
  if (!options.fromSource) {
    const found = locateShim();
    if (found !== undefined) return found;
  }
  const src = shimSource();
  if (src === undefined) {
    throw unavailable('the container supervisor (strata-shim) is not built', { hint: 'run `bash scripts/setup.sh`' });
  }
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 16);
  const out = join(cacheDir, `strata-shim-${hash}`);
  if (executable(out)) return out;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const r = childProcess().spawnSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', tmp, src], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw unavailable(`build the container supervisor: ${(r.stderr || r.error?.message || 'gcc failed').trim()}`, {
      hint: 'install gcc, or run `bash scripts/setup.sh`',
    });
  }
  renameSync(tmp, out);
  return out;
}
