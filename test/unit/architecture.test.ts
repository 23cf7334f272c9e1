// Keeps the arrows of docs/ARCHITECTURE.md honest: a module under src/ may import only the
// modules on the lines below its own in the document's module map, never one on its line
// (peers) or above it. The map is read from the document, so the two cannot drift apart.
// A package under packages/ stands alone: it imports nothing of the repository outside its
// own folder, and src/ uses it only through its name (its public entry). And no file of src/
// imports itself through others: there is no import cycle, type-only ones included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

const architectureDoc = resolve(import.meta.dirname, '../../docs/ARCHITECTURE.md');

/**
 * The module map's ranks: the first fenced block after the `module-map` marker, one rank a
 * line, module names (ending in `/`) before the description. The top line gets the highest rank.
 */
function readModuleMap(path: string): Record<string, number> {
  const text = readFileSync(path, 'utf8');
  const marker = text.indexOf('<!-- module-map');
  assert.ok(marker >= 0, `${path} has no <!-- module-map --> marker`);
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(marker));
  assert.ok(block?.[1] !== undefined, `${path}: no fenced block after the module-map marker`);
  const lines = block[1].split('\n').filter((l) => l.trim() !== '');
  const ranks: Record<string, number> = {};
  lines.forEach((line, index) => {
    const names = line.trim().split(/\s+/).filter((word, i, words) => words.slice(0, i + 1).every((w) => w.endsWith('/')) && word.endsWith('/'));
    assert.ok(names.length > 0, `${path}: module-map line "${line}" names no module`);
    for (const name of names) ranks[name.slice(0, -1)] = lines.length - index;
  });
  return ranks;
}

const RANK = readModuleMap(architectureDoc);

const srcRoot = resolve(import.meta.dirname, '../../src');
const packagesRoot = resolve(import.meta.dirname, '../../packages');

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* tsFiles(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

function moduleOf(file: string): string {
  return relative(srcRoot, file).split(sep)[0] ?? '';
}

const importPattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

test('every top-level folder of src/ is a module of the map', () => {
  for (const name of readdirSync(srcRoot)) {
    if (statSync(join(srcRoot, name)).isDirectory()) {
      assert.ok(name in RANK, `src/${name} is not in docs/ARCHITECTURE.md's module map`);
    }
  }
});

test('no module imports one above it', () => {
  const violations: string[] = [];
  for (const file of tsFiles(srcRoot)) {
    const from = moduleOf(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const spec = match[1] ?? match[2];
      if (spec === undefined || !spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(srcRoot + sep)) continue;
      const to = moduleOf(target);
      if (to === from) continue;
      const fromRank = RANK[from] ?? -1;
      const toRank = RANK[to] ?? -1;
      if (toRank >= fromRank) violations.push(`${relative(srcRoot, file)} imports ${to}/ (${spec})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the module map names only folders that exist or are planned front ends', () => {
  const folders = new Set(readdirSync(srcRoot).filter((n) => statSync(join(srcRoot, n)).isDirectory()));
  const frontEnds = new Set(Object.keys(RANK).filter((m) => RANK[m] === Math.max(...Object.values(RANK))));
  const stale = Object.keys(RANK).filter((m) => !folders.has(m) && !frontEnds.has(m));
  assert.deepEqual(stale, [], 'docs/ARCHITECTURE.md maps modules that src/ does not have');
});

/** The import specifiers of a TypeScript file (static imports, re-exports, dynamic imports). */
function importsOf(file: string): string[] {
  const specs: string[] = [];
  for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
    const spec = match[1] ?? match[2];
    if (spec !== undefined) specs.push(spec);
  }
  return specs;
}

/** What the files of one package import from outside its folder: paths out of it, or strata itself. */
function packageEscapes(packageDir: string): string[] {
  const escapes: string[] = [];
  for (const file of tsFiles(packageDir)) {
    for (const spec of importsOf(file)) {
      const isPath = spec.startsWith('.') || spec.startsWith('/');
      const outside = isPath && !resolve(dirname(file), spec).startsWith(packageDir + sep);
      if (outside || spec === 'strata' || spec.startsWith('strata/')) escapes.push(`${relative(packagesRoot, file)} imports ${spec}`);
    }
  }
  return escapes;
}

test('nothing under packages/ imports from src/ (or anything else outside its own package)', () => {
  const packages = readdirSync(packagesRoot).filter((n) => statSync(join(packagesRoot, n)).isDirectory());
  assert.ok(packages.includes('go-template'), 'packages/go-template is missing');
  assert.deepEqual(packages.flatMap((name) => packageEscapes(join(packagesRoot, name))), []);
});

test('src/ uses a package only through its name, never a path into packages/', () => {
  const deep: string[] = [];
  for (const file of tsFiles(srcRoot)) {
    for (const spec of importsOf(file)) {
      const isPath = spec.startsWith('.') || spec.startsWith('/');
      if ((isPath && resolve(dirname(file), spec).startsWith(packagesRoot + sep)) || /^@strata\/[^/]+\/./.test(spec)) {
        deep.push(`${relative(srcRoot, file)} imports ${spec}`);
      }
    }
  }
  assert.deepEqual(deep, []);
});

/** Each file of src/ and the files of src/ it imports (type-only, re-exports and import() too). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(srcRoot)) {
    const targets = importsOf(file).filter((spec) => spec.startsWith('.')).map((spec) => resolve(dirname(file), spec));
    graph.set(file, targets.filter((target) => target.startsWith(srcRoot + sep)));
  }
  return graph;
}

/** The strongly connected groups of more than one file (or a file importing itself): Tarjan's algorithm. */
function importCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file) as number);
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file) as number, low.get(next) as number));
      } else if (stack.includes(next)) {
        low.set(file, Math.min(low.get(file) as number, index.get(next) as number));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const group = stack.splice(stack.indexOf(file));
    if (group.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(group.map((f) => relative(srcRoot, f)).sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

test('no file of src/ is part of an import cycle', () => {
  const cycles = importCycles(importGraph());
  assert.deepEqual(cycles.map((group) => group.join(' <-> ')), [], 'these files import each other (a type both need belongs in a third file)');
});

test('the README\'s module list names exactly the folders of src/ and packages/', () => {
  const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## How it is built'));
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const listed = new Set([...block.matchAll(/^((?:src|packages)\/[a-z-]+)\//gm)].map((m) => m[1]));
  const folders = [
    ...readdirSync(srcRoot).filter((n) => statSync(join(srcRoot, n)).isDirectory()).map((n) => `src/${n}`),
    ...readdirSync(packagesRoot).filter((n) => statSync(join(packagesRoot, n)).isDirectory()).map((n) => `packages/${n}`),
  ];
  assert.deepEqual([...listed].sort(), folders.sort(), 'README.md ("How it is built") lists the modules as they are');
});
