// Every Dockerfile of the corpus parses to the hand-written summary kept beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDockerfile } from '../../../src/builder/dockerfile/index.ts';
import { summarize } from './summary.ts';

const root = resolve(import.meta.dirname, '../../fixtures/dockerfiles');
const cases = readdirSync(root).filter((name) => statSync(join(root, name)).isDirectory()).sort();

test('the corpus holds at least 30 Dockerfiles', () => {
  assert.ok(cases.length >= 30, `only ${cases.length} fixtures`);
});

for (const name of cases) {
  test(`corpus: ${name}`, () => {
    const bytes = readFileSync(join(root, name, 'Dockerfile'));
    const expected = readFileSync(join(root, name, 'expected.txt'), 'utf8');
    const df = parseDockerfile(bytes, { file: `${name}/Dockerfile` });
    assert.equal(summarize(df), expected);
  });
}

test('corpus: the CRLF fixture really has CRLF line endings and a BOM', () => {
  const bytes = readFileSync(join(root, 'crlf-bom', 'Dockerfile'));
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.ok(bytes.includes('\r\n'));
});
