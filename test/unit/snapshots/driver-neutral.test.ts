// Callers hold the Snapshotter interface: outside snapshots/, a driver's name is shown
// (inspect, info), never compared. What differs between drivers is a method or property.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const srcRoot = resolve(import.meta.dirname, '../../../src');

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* tsFiles(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

test('no code outside snapshots/ branches on a snapshotter\'s driver name', () => {
  // A snapshotter's driver (`snapshotter.driver`, or any `.driver` against a driver's name);
  // a network's driver (`bridge`, `host`…) is another thing and may be compared.
  const name = "'(?:overlay|native)'";
  const comparison = new RegExp([
    `\\.driver\\s*[!=]==?\\s*${name}`, `${name}\\s*[!=]==?\\s*[\\w.]*\\.driver\\b`,
    'snapshotter\\.driver\\s*[!=]==?', '[!=]==?\\s*[\\w.]*snapshotter\\.driver\\b', `\\bcase\\s+${name}`,
  ].join('|'));
  const found: string[] = [];
  for (const file of tsFiles(srcRoot)) {
    const rel = relative(srcRoot, file);
    if (rel.startsWith('snapshots/')) continue;
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (comparison.test(line)) found.push(`${rel}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});
