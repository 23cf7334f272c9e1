// `image diff A B` on two images built here: B is A plus one layer and other config, so the
// expected shared layers, file changes, config changes and history rows are known.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { tempDir } from '../helpers/temp-dir.ts';
import { strata, strataOk } from '../helpers/strata-cli.ts';
import { writeLayeredArchive, type LayerEntry } from '../helpers/layered-archive.ts';
import type { ImageDiff } from '../../src/insight/index.ts';

const L0: LayerEntry[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/conf', type: 'file', body: Buffer.alloc(100, 'a') },
  { name: 'etc/same-size', type: 'file', body: Buffer.alloc(20, 's') },
  { name: 'old', type: 'file', body: Buffer.alloc(5, 'o') },
];
const L1: LayerEntry[] = [{ name: 'app/', type: 'directory' }, { name: 'app/main.js', type: 'file', body: Buffer.alloc(300, 'm') }];
/** B only: changes a file's size, another's content at the same size, removes one, adds one. */
const L2: LayerEntry[] = [
  { name: 'etc/conf', type: 'file', body: Buffer.alloc(42, 'b') },
  { name: 'etc/same-size', type: 'file', body: Buffer.alloc(20, 't') },
  { name: '.wh.old', type: 'file' },
  { name: 'app/extra', type: 'file', body: Buffer.alloc(7, 'x') },
];

describe('image diff', () => {
  const dir = tempDir();
  const root = join(dir, 'root');
  before(async () => {
    await writeLayeredArchive(join(dir, 'a.tar'), [L0, L1], 'diff/a:1',
      { Env: ['PATH=/bin', 'MODE=dev'], Cmd: ['node', 'main.js'], Labels: { team: 'x' }, ExposedPorts: { '80/tcp': {} } });
    await writeLayeredArchive(join(dir, 'b.tar'), [L0, L1, L2], 'diff/b:1',
      { Env: ['PATH=/bin', 'MODE=prod', 'NEW=1'], Cmd: ['node', 'main.js', '--fast'], User: 'app', Labels: { team: 'y' }, Volumes: { '/data': {} } });
    strataOk(root, ['load', '-i', join(dir, 'a.tar')]);
    strataOk(root, ['load', '-i', join(dir, 'b.tar')]);
  });

  test('shared layers, A/C/D with sizes, config and history differences', () => {
    const d = JSON.parse(strataOk(root, ['image', 'diff', '--format', 'json', 'diff/a:1', 'diff/b:1'])) as ImageDiff;
    assert.equal(d.sharedLayers.length, 2);
    assert.deepEqual([d.a.layers, d.b.layers], [2, 3]);
    assert.deepEqual(d.files, [
      { kind: 'A', path: '/app/extra', type: 'file', sizeB: 7 },
      { kind: 'C', path: '/etc/conf', type: 'file', sizeA: 100, sizeB: 42 },
      { kind: 'C', path: '/etc/same-size', type: 'file', sizeA: 20, sizeB: 20 },
      { kind: 'D', path: '/old', type: 'file', sizeA: 5 },
    ]);
    assert.deepEqual(d.config, [
      { field: 'User', a: null, b: 'app' },
      { field: 'Cmd', a: ['node', 'main.js'], b: ['node', 'main.js', '--fast'] },
      { field: 'Env', key: 'MODE', a: 'dev', b: 'prod' },
      { field: 'Env', key: 'NEW', a: null, b: '1' },
      { field: 'Labels', key: 'team', a: 'x', b: 'y' },
      { field: 'ExposedPorts', key: '80/tcp', a: '80/tcp', b: null },
      { field: 'Volumes', key: '/data', a: null, b: '/data' },
    ]);
    assert.deepEqual(d.history, { onlyA: [], onlyB: ['layer 2'] });
  });

  test('the readable report, and an image against itself', () => {
    const out = strataOk(root, ['image', 'diff', 'diff/a:1', 'diff/b:1']);
    assert.match(out, /^Shared layers: 2$/m);
    assert.match(out, /^ {2}C\s+\/etc\/conf\s+100B → 42B$/m);
    assert.match(out, /^ {2}Env MODE: "dev" → "prod"$/m);
    assert.match(out, /^ {2}\+ layer 2$/m);
    const self = JSON.parse(strataOk(root, ['image', 'diff', '--format', 'json', 'diff/b:1', 'diff/b:1'])) as ImageDiff;
    assert.deepEqual([self.sharedLayers.length, self.files, self.config, self.history], [3, [], [], { onlyA: [], onlyB: [] }]);
  });

  test('an archive against the store, and a missing image named', () => {
    const d = JSON.parse(strataOk(root, ['image', 'diff', '--format', 'json', `docker-archive:${join(dir, 'a.tar')}`, 'diff/b:1'])) as ImageDiff;
    assert.equal(d.files.length, 4);
    const r = strata(root, ['image', 'diff', 'diff/a:1', 'nosuch:1']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^Error: No such image: nosuch:1$/m);
  });
});
