// Keeps the arrows of ARCHITECTURE.md honest: a module under src/ may import only the
// modules listed below it in the map, never one above it or a peer front end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

/** Rank in the map: higher may import lower. Front ends share the top rank but never import each other. */
const RANK: Record<string, number> = {
  cli: 100, ui: 100, api: 100,
  engine: 90,
  build: 80,
  registry: 70,
  archive: 65,
  containers: 60,
  runtime: 55,
  images: 50,
  gc: 45,
  snapshots: 40,
  diff: 35,
  mount: 30,
  content: 25,
  metadata: 20,
  oci: 15,
  internal: 10,
  errdefs: 5,
};

const srcRoot = resolve(import.meta.dirname, '../../src');

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
      assert.ok(name in RANK, `src/${name} is not in ARCHITECTURE.md's module map`);
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
