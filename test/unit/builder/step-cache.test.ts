// Cache keys, miss explanations, history times and progress lines, on a real database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { lstatSync, writeFileSync, utimesSync } from 'node:fs';
import { BuildCacheRecords, openDatabase } from '../../../src/metadata/index.ts';
import { stepKey, StepCache, type StepInputs } from '../../../src/builder/solver/step-cache.ts';
import { goTime, historyTimes } from '../../../src/builder/solver/export-image.ts';
import { Progress, progressMode } from '../../../src/builder/progress.ts';
import { FileHasher, digestSourceFiles, packSourceFiles, type SourceFile } from '../../../src/builder/context/content-hash.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

function cache(): { steps: StepCache; records: BuildCacheRecords; close: () => void; dir: string } {
  const dir = tempDir();
  const db = openDatabase(join(dir, 'metadata.db'));
  const records = new BuildCacheRecords(db);
  return { steps: new StepCache(db, records), records, close: () => db.close(), dir };
}

function record(c: ReturnType<typeof cache>, parentKey: string, inputs: StepInputs, description: string, files: SourceFile[][] = []): string {
  const key = stepKey(parentKey, inputs);
  c.steps.record({
    key, parentKey, kind: inputs.kind, description, inputs: JSON.stringify(inputs), chainId: `sha256:${key}`, diffId: `sha256:${key}`,
    size: 1, tarSize: 1024, createdAt: 1, lastUsedAt: 1, usageCount: 1,
  }, { parent: null }, files.map((f) => ({ digest: digestSourceFiles(f), data: packSourceFiles(f) })));
  return key;
}

const runInputs = (env: [string, string][], command = ['/bin/sh', '-c', 'make']): StepInputs => ({ kind: 'RUN', command, env, args: ['MODE'], user: '', workdir: '/' });

test('keys chain on the parent and change with any input, never with order-free noise', () => {
  const a = stepKey('p', runInputs([['A', '1']]));
  assert.equal(a, stepKey('p', runInputs([['A', '1']])));
  assert.notEqual(a, stepKey('q', runInputs([['A', '1']])));
  assert.notEqual(a, stepKey('p', runInputs([['A', '2']])));
  assert.match(a, /^[0-9a-f]{64}$/);
});

test('a miss names the build arg or env variable that changed, or the command', () => {
  const c = cache();
  record(c, 'base', runInputs([['PATH', '/bin'], ['MODE', 'dev']]), 'RUN make');
  assert.equal(c.steps.explain('base', runInputs([['PATH', '/bin'], ['MODE', 'prod']]), 'RUN make', false), 'build arg MODE changed ("dev" → "prod")');
  assert.equal(c.steps.explain('base', runInputs([['PATH', '/usr/bin'], ['MODE', 'dev']]), 'RUN make', false), 'env PATH changed ("/bin" → "/usr/bin")');
  assert.equal(c.steps.explain('base', runInputs([['PATH', '/bin'], ['MODE', 'dev'], ['X', '1']]), 'RUN make', false), 'env X was set ("1")');
  assert.equal(c.steps.explain('base', runInputs([['PATH', '/bin'], ['MODE', 'dev']], ['/bin/sh', '-c', 'make all']), 'RUN make all', false), 'the command changed');
  assert.equal(c.steps.explain('base', runInputs([]), 'RUN make', true), 'the step below it was rebuilt');
  assert.equal(c.steps.explain('other-base', runInputs([]), 'RUN make', false), 'its base changed (a new base image, or a different step below it)');
  assert.equal(c.steps.explain('other-base', runInputs([]), 'RUN something new', false), 'no earlier build of this step');
  c.close();
});

test('a COPY miss names the files that changed, were added or removed', () => {
  const c = cache();
  const before: SourceFile[] = [['src', 'd0755 0:0', ''], ['src/a.js', 'f0644 0:0', 'aaa'], ['src/b.js', 'f0644 0:0', 'bbb'], ['src/gone.js', 'f0644 0:0', 'g']];
  const after: SourceFile[] = [['src', 'd0755 0:0', ''], ['src/a.js', 'f0644 0:0', 'AAA'], ['src/b.js', 'f0755 0:0', 'bbb'], ['src/new.js', 'f0644 0:0', 'n']];
  const inputs = (files: SourceFile[]): StepInputs => ({ kind: 'COPY', sources: [{ source: 'src/', from: 'context', fileSet: digestSourceFiles(files) }], dest: '/app/' });
  record(c, 'p', inputs(before), 'COPY src/ /app/ # buildkit', [before]);
  const current = new Map([[digestSourceFiles(after), after]]);
  assert.equal(c.steps.explain('p', inputs(after), 'COPY src/ /app/ # buildkit', false, () => current),
    'file src/a.js changed; file added: src/new.js; file removed: src/gone.js; mode or owner of src/b.js changed');
  c.close();
});

test('remembered file hashes are used while path, inode, size and times match', () => {
  const c = cache();
  const db = openDatabase(join(c.dir, 'metadata.db'));
  const dir = tempDir();
  const file = join(dir, 'f');
  writeFileSync(file, 'one');
  const first = new FileHasher({ db, records: new BuildCacheRecords(db), root: dir });
  const d1 = first.digest(file, lstatSync(file));
  first.flush();
  assert.equal(first.hashed, 1);
  const second = new FileHasher({ db, records: new BuildCacheRecords(db), root: dir });
  assert.equal(second.digest(file, lstatSync(file)), d1);
  assert.equal(second.hashed, 0);
  utimesSync(file, 5, 5);
  const third = new FileHasher({ db, records: new BuildCacheRecords(db), root: dir });
  assert.equal(third.digest(file, lstatSync(file)), d1, 'a touched file hashes to the same content');
  assert.equal(third.hashed, 1);
  db.close();
  c.close();
});

test('history times: metadata entries take the previous layer\'s time, or the first new layer\'s; SOURCE_DATE_EPOCH sets all', () => {
  const base = { entry: { created: '2020-01-01T00:00:00Z', created_by: 'base' }, inherited: true };
  const meta = (by: string): { entry: { created_by: string; empty_layer: boolean }; inherited: boolean } => ({ entry: { created_by: by, empty_layer: true }, inherited: false });
  const layer = (by: string, ms: number): { entry: { created_by: string }; createdMs: number; inherited: boolean } => ({ entry: { created_by: by }, createdMs: ms, inherited: false });
  const out = historyTimes([base, meta('LABEL'), layer('RUN', 1_000), layer('COPY', 2_500), meta('CMD')], undefined);
  assert.deepEqual(out.map((h) => h.created), ['2020-01-01T00:00:00Z', '1970-01-01T00:00:01Z', '1970-01-01T00:00:01Z', '1970-01-01T00:00:02.5Z', '1970-01-01T00:00:02.5Z']);
  const onlyMeta = historyTimes([base, meta('ENV')], undefined);
  assert.equal(onlyMeta[1]?.created, '2020-01-01T00:00:00Z');
  const epoch = historyTimes([base, meta('LABEL'), layer('RUN', 1_000)], 1_700_000_000_000);
  assert.deepEqual(epoch.map((h) => h.created), ['2020-01-01T00:00:00Z', '2023-11-14T22:13:20Z', '2023-11-14T22:13:20Z']);
  assert.equal(goTime(Date.UTC(2024, 0, 2, 3, 4, 5, 120)), '2024-01-02T03:04:05.12Z');
});

test('plain progress prints BuildKit\'s lines; quiet prints nothing but keeps the output for errors', () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (b: Buffer) => { text += b.toString(); });
  const p = new Progress({ mode: 'plain', out });
  const v = p.start('[2/3] RUN make');
  p.miss(v, 'file app.js changed');
  p.log(v, 'line one\nline ');
  p.log(v, 'two\n');
  p.done(v);
  const c = p.start('[3/3] COPY . .');
  p.cached(c);
  p.finish();
  assert.match(text, /^#1 \[2\/3\] RUN make\n#1 cache miss: file app.js changed\n#1 \d+\.\d{3} line one\n#1 \d+\.\d{3} line two\n#1 DONE \d+\.\ds\n\n#2 \[3\/3\] COPY \. \.\n#2 CACHED\n\n$/);
  const quiet = new PassThrough();
  let q = '';
  quiet.on('data', (b: Buffer) => { q += b.toString(); });
  const pq = new Progress({ mode: 'quiet', out: quiet });
  const w = pq.start('[1/1] RUN false');
  pq.log(w, 'oops\n');
  pq.fail(w, 'exit code: 1');
  pq.finish();
  assert.equal(q, '');
  assert.deepEqual(pq.lastLines(w), ['oops']);
  assert.equal(progressMode(undefined, true, true), 'quiet');
  assert.equal(progressMode('auto', false, true), 'tty');
  assert.equal(progressMode('auto', false, false), 'plain');
  assert.throws(() => progressMode('fancy', false, false));
});

test('the tty view redraws in place and ends with FINISHED', () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (b: Buffer) => { text += b.toString(); });
  const p = new Progress({ mode: 'tty', out, columns: 60 });
  const v = p.start('[1/1] RUN a very long command line that will not fit in sixty columns at all');
  p.log(v, 'output\n');
  p.done(v);
  p.finish();
  assert.match(text, /\[\+\] Building \d+\.\ds \(1\/1\) FINISHED\n/);
  assert.match(text, /\x1b\[2K => \[1\/1\] RUN a very long command line that[^\n]*\.\.\. +\d+\.\ds\n/);
  const cached = new PassThrough();
  let c = '';
  cached.on('data', (b: Buffer) => { c += b.toString(); });
  const pc = new Progress({ mode: 'tty', out: cached, columns: 80 });
  pc.cached(pc.start('[2/2] COPY . .'));
  pc.finish();
  assert.match(c, / => CACHED \[2\/2\] COPY \. \. +\d+\.\ds\n/);
  for (const line of text.split('\n')) assert.ok(line.replace(/\x1b\[\d*[A-Z]/g, '').length <= 60, line);
});
