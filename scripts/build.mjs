// Bundles the CLI into dist/ with esbuild: one entry file for start-up, and one chunk per
// lazily imported command module so a command loads only the code it needs. Also compiles
// the per-container supervisor (a small C program) and builds the web app (dist/ui). The new dist/ replaces the old one in
// two renames, so a strata command running meanwhile never sees a half-written bundle.
//
// Why CommonJS output: Node 20 keeps no compiled code between runs, and its ES module
// loader costs ~10 ms per command on its own. esbuild splits chunks only as ES modules, so
// each chunk is converted to CommonJS afterwards; bin/strata then loads the chunks with V8
// code caches kept in dist/cache (measured: start-up to the command's first line drops by
// ~30 ms, bench/cli-listing.bench.ts).
import { build, transform } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const next = `${dist}.new-${process.pid}`;
const old = `${dist}.old-${process.pid}`;
rmSync(next, { recursive: true, force: true });
const bundle = await build({
  entryPoints: { strata: 'src/cli/main.ts' },
  outdir: next,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native addons load their .node files relative to their own package.
  external: ['koffi'],
  chunkNames: 'chunks/[name]-[hash]',
  write: false,
  logLevel: 'warning',
});
for (const file of bundle.outputFiles) {
  const converted = await transform(file.text, {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    define: { 'import.meta.url': '__strataModuleUrl' },
    banner: "const __strataModuleUrl = require('node:url').pathToFileURL(__filename).href;",
    logLevel: 'warning',
  });
  // Chunks load each other with import(); as CommonJS that is a require (synchronous, cached).
  const code = converted.code.replace(/\bimport\(("[^"]+")\)/g, 'Promise.resolve().then(() => require($1))');
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, code);
}
writeFileSync(join(next, 'package.json'), '{ "type": "commonjs" }\n');
execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', `${next}/strata-shim`, 'src/runtime/shim/strata-shim.c'], { stdio: 'inherit' });
// The web app `strata ui` serves (packages/ui-web): static files in dist/ui, bundled with
// everything they need (no CDN). Vite is loaded only here, never by the CLI.
const { build: viteBuild } = await import('vite');
await viteBuild({ configFile: fileURLToPath(new URL('../packages/ui-web/vite.config.ts', import.meta.url)), build: { outDir: join(next, 'ui') } });
if (existsSync(dist)) renameSync(dist, old);
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });

// Warm the code caches with the commands people run most, so the first `strata images`
// after a build is as quick as the next (a cache holds the functions its first run compiled).
const scratch = mkdtempSync(join(tmpdir(), 'strata-warm-'));
try {
  for (const args of [['images'], ['system', 'df'], ['ps', '-a']]) {
    try {
      execFileSync(process.execPath, [fileURLToPath(new URL('../bin/strata', import.meta.url)), '--root', scratch, ...args], { stdio: 'ignore' });
    } catch {
      // A command that cannot run here (no runc yet) just leaves its chunks uncached.
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
