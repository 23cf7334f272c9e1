// writeFileAtomic: the one all-or-nothing file write, durable (fsynced) by default, or not
// when asked (bundles and container state, written again at every start).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/temp-dir.ts';
import { writeFileAtomic } from '../../../src/internal/index.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';

const moduleUrl = new URL('../../../src/internal/atomic-file.ts', import.meta.url).href;

test('replaces the whole file, with the mode asked for, and leaves no temp file', () => {
  const dir = tempDir('strata-atomic-');
  const path = join(dir, 'config.json');
  writeFileSync(path, 'old content, longer than the new one');
  writeFileAtomic(path, '{"new":1}\n');
  assert.equal(readFileSync(path, 'utf8'), '{"new":1}\n');
  writeFileAtomic(join(dir, 'secret'), Buffer.from('token'), { mode: 0o600, durable: false });
  assert.equal(statSync(join(dir, 'secret')).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'secret']);
});

test('a write into a missing directory fails naming the file', () => {
  const dir = tempDir('strata-atomic-');
  const path = join(dir, 'gone', 'state.json');
  assert.throws(() => writeFileAtomic(path, 'x'), (err) => isStrataError(err, 'not-found') && err.message === `write ${path}: no such file or directory`);
  assert.deepEqual(readdirSync(dir), []);
});

/** The fsync calls a child process makes on paths under `dir` while it writes `dir/f` with `options`. */
function fsyncsOf(dir: string, options: string): string[] {
  const trace = join(dir, 'trace');
  const script = `const { writeFileAtomic } = await import(${JSON.stringify(moduleUrl)}); writeFileAtomic(${JSON.stringify(join(dir, 'f'))}, 'x', ${options});`;
  const r = spawnSync('strace', ['-f', '-y', '-e', 'trace=fsync,fdatasync', '-o', trace, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const target = join(dir, 'f');
  return readFileSync(trace, 'utf8').split('\n')
    .filter((l) => /\b(fsync|fdatasync)\(/.test(l) && l.includes(`<${dir}`))
    .map((l) => (l.includes(`<${dir}/.f.`) ? 'temp file' : l.includes(`<${dir}>`) ? 'directory' : l.includes(`<${target}>`) ? 'file' : l));
}

const strace = spawnSync('strace', ['-V']).status === 0;

test('durable (the default) fsyncs the file before the rename and the directory after it; durable: false fsyncs nothing', { skip: strace ? false : 'strace is not installed (bash scripts/setup.sh --test installs it)' }, () => {
  assert.deepEqual(fsyncsOf(tempDir('strata-atomic-'), '{}'), ['temp file', 'directory']);
  assert.deepEqual(fsyncsOf(tempDir('strata-atomic-'), '{ durable: false }'), []);
});
