// Bundles the CLI into dist/ with esbuild: one entry file for start-up, and one chunk per
// lazily imported command module so a command loads only the code it needs. Also compiles
// the per-container supervisor (a small C program). The new dist/ replaces the old one in
// two renames, so a strata command running meanwhile never sees a half-written bundle.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const next = `${dist}.new-${process.pid}`;
const old = `${dist}.old-${process.pid}`;
rmSync(next, { recursive: true, force: true });
await build({
  entryPoints: { strata: 'src/cli/main.ts' },
  outdir: next,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native addons load their .node files relative to their own package.
  external: ['better-sqlite3', 'koffi'],
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  banner: {
    // Bundled CommonJS dependencies (commander) call require(); give ESM one.
    js: "import { createRequire as __strataCreateRequire } from 'node:module'; const require = __strataCreateRequire(import.meta.url);",
  },
});
execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', `${next}/strata-shim`, 'src/runtime/shim/strata-shim.c'], { stdio: 'inherit' });
if (existsSync(dist)) renameSync(dist, old);
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
