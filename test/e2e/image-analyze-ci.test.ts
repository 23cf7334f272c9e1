// The CI gate (dive's rules, flags and .dive-ci file) and bad input to `image analyze`:
// exit codes, PASS/FAIL lines, errors naming the input, and a store left unchanged.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { tempDir } from '../helpers/temp-dir.ts';
import { STRATA_BIN, strataOk } from '../helpers/strata-cli.ts';
import { storeContents } from '../helpers/store-contents.ts';
import { tarOf, writeLayeredArchive, type LayerEntry } from '../helpers/layered-archive.ts';

const body = (n: number, c: string): Buffer => Buffer.alloc(n, c);

// Stored 1000, 1000 + 500, 500; layer 2 removes layer 0's a (1000)
// and layer 2 overwrites layer 1's c (500): wasted 1500 of 3000 stored, efficiency 0.5; the
// base (a parent image) is layer 0, so the user's layers store 2000 and waste 500: 0.25.
const LAYERS: LayerEntry[][] = [
  [{ name: 'a', type: 'file', body: body(1000, 'a') }],
  [{ name: 'b', type: 'file', body: body(1000, 'b') }, { name: 'c', type: 'file', body: body(500, 'c') }],
  [{ name: '.wh.a', type: 'file' }, { name: 'c', type: 'file', body: body(500, 'd') }],
];

function run(root: string, cwd: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(STRATA_BIN, args, { cwd, env: { ...process.env, STRATA_ROOT: root } });
  return { status: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe('image analyze --ci', () => {
  const dir = tempDir();
  const root = join(dir, 'root');
  const work = join(dir, 'work');
  before(async () => {
    mkdirSync(work);
    await writeLayeredArchive(join(dir, 'base.tar'), LAYERS.slice(0, 1), 'ci/base:1');
    await writeLayeredArchive(join(dir, 'app.tar'), LAYERS, 'ci/app:1');
    strataOk(root, ['load', '-i', join(dir, 'base.tar')]);
    strataOk(root, ['load', '-i', join(dir, 'app.tar')]);
    const t = JSON.parse(strataOk(root, ['image', 'analyze', '--format', '{{json .totals}}', 'ci/app:1'])) as Record<string, number>;
    // Stored 3000, wasted a (1000, base) and c (500, user): visible 1500.
    assert.deepEqual([t['storedBytes'], t['wastedBytes'], t['efficiency'], t['userWastedPercent']], [3000, 1500, 0.5, 500 / 2000]);
  });

  test("dive's defaults: efficiency 0.5 < 0.9 and user waste 0.25 > 0.1 fail, wasted bytes is skipped; exit 1", () => {
    const r = run(root, work, ['image', 'analyze', '--ci', 'ci/app:1']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^ {2}FAIL: highestUserWastedPercent: too many bytes wasted, relative to the user bytes added \(%-user-wasted-bytes=0\.25 > threshold=0\.1\)$/m);
    assert.match(r.stdout, /^ {2}\(skip\): highestWastedBytes$/m);
    assert.match(r.stdout, /^ {2}FAIL: lowestEfficiency: image efficiency is too low \(efficiency=0\.5 < threshold=0\.9\)$/m);
    assert.match(r.stdout, /^Result:FAIL \[Total:3\] \[Passed:0\] \[Failed:2\] \[Warn:0\] \[Skipped:1\]$/m);
  });

  test('flags: thresholds met pass with exit 0; one exceeded fails with exit 1; a flag alone implies --ci', () => {
    const pass = run(root, work, ['image', 'analyze', '--lowest-efficiency', '0.5', '--highest-user-wasted-percent', '0.25', '--highest-wasted-bytes', '1.5kB', 'ci/app:1']);
    assert.equal(pass.status, 0, pass.stdout + pass.stderr);
    assert.match(pass.stdout, /^Result:PASS \[Total:3\] \[Passed:3\] \[Failed:0\]/m);
    const fail = run(root, work, ['image', 'analyze', '--lowest-efficiency', '0.5', '--highest-user-wasted-percent', '0.25', '--highest-wasted-bytes', '1499', 'ci/app:1']);
    assert.equal(fail.status, 1);
    assert.match(fail.stdout, /FAIL: highestWastedBytes: too many bytes wasted \(wasted-bytes=1500 > threshold=1499\)/);
  });

  test('.dive-ci in the current directory, in dive format; flags override it', () => {
    writeFileSync(join(work, '.dive-ci'), '# dive CI rules\nrules:\n  # efficiency\n  lowestEfficiency: 0.4\n  highestWastedBytes: "2KB"\n  highestUserWastedPercent: disabled\n');
    const r = run(root, work, ['image', 'analyze', '--ci', 'ci/app:1']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ {2}\(skip\): highestUserWastedPercent$/m);
    assert.match(r.stdout, /^Result:PASS \[Total:3\] \[Passed:2\] \[Failed:0\] \[Warn:0\] \[Skipped:1\]$/m);
    const overridden = run(root, work, ['image', 'analyze', '--ci', '--lowest-efficiency', '0.6', 'ci/app:1']);
    assert.equal(overridden.status, 1);
    const json = run(root, work, ['image', 'analyze', '--ci', '--format', 'json', '--lowest-efficiency', '0.6', 'ci/app:1']);
    assert.equal(json.status, 1);
    assert.equal((JSON.parse(json.stdout) as { totals: { efficiency: number } }).totals.efficiency, 0.5);
    assert.match(json.stderr, /Result:FAIL/);
  });

  test('a malformed .dive-ci is refused naming its line, before the store is touched; exit 1', () => {
    const bad = join(dir, 'bad-ci');
    mkdirSync(bad);
    const cases: [string, RegExp][] = [
      ['rules:\n  lowestEfficiency: high\n', /\.dive-ci:2: invalid lowestEfficiency "high": want a number/],
      ['rules:\n  highestWastedBytes: 20 parsecs\n', /\.dive-ci:2: invalid highestWastedBytes "20 parsecs"/],
      ['rules:\n  lowestEfficency: 0.9\n', /\.dive-ci:2: unknown rule "lowestEfficency"/],
      ['rules:\n  - lowestEfficiency\n', /\.dive-ci:2: not a "key: value" line/],
      ['lowestEfficiency: 0.9\n', /\.dive-ci: no "rules:" section/],
    ];
    const before = storeContents(root);
    for (const [text, message] of cases) {
      writeFileSync(join(bad, '.dive-ci'), text);
      const r = run(root, bad, ['image', 'analyze', '--ci', 'ci/app:1']);
      assert.equal(r.status, 1, text);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
    unlinkSync(join(bad, '.dive-ci'));
    const flag = run(root, bad, ['image', 'analyze', '--highest-wasted-bytes', 'lots', 'ci/app:1']);
    assert.equal(flag.status, 1);
    assert.match(flag.stderr, /--highest-wasted-bytes: invalid highestWastedBytes "lots"/);
    const missing = run(root, bad, ['image', 'analyze', '--ci', '--ci-config', join(bad, 'nope'), 'ci/app:1']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /--ci-config .*nope: no such file/);
    assert.deepEqual(storeContents(root), before);
  });
});

describe('image analyze: bad input', () => {
  const dir = tempDir();
  const root = join(dir, 'root');
  before(async () => {
    await writeLayeredArchive(join(dir, 'app.tar'), LAYERS, 'bad/app:1');
    strataOk(root, ['load', '-i', join(dir, 'app.tar')]);
  });

  test('a missing image, a tar that is not an image, a cut-short archive, a missing file: each named, exit 1, store unchanged', async () => {
    const notImage = join(dir, 'not-image.tar');
    writeFileSync(notImage, await tarOf([{ name: 'hello.txt', type: 'file', body: Buffer.from('hi') }]));
    const truncated = join(dir, 'truncated.tar');
    writeFileSync(truncated, readFileSync(join(dir, 'app.tar')));
    // Into the body of a layer (the layers come after the 1 KiB config entry).
    truncateSync(truncated, 2500);
    const text = join(dir, 'text.txt');
    writeFileSync(text, 'just some text, not a tar at all\n'.repeat(40));
    const cases: [string, RegExp][] = [
      ['nosuch/image:1', /^Error: No such image: nosuch\/image:1$/m],
      [`docker-archive:${notImage}`, /docker-archive:.*not-image\.tar: not a docker-archive: it has no manifest\.json/],
      [`oci:${notImage}`, /oci:.*not-image\.tar: not an OCI image layout: it has no index\.json/],
      [`docker-archive:${truncated}`, /docker-archive:.*truncated\.tar: truncated/],
      [`docker-archive:${text}`, /docker-archive:.*text\.txt: not a tar archive/],
      [`docker-archive:${join(dir, 'absent.tar')}`, /absent\.tar: no such file or directory/],
    ];
    const before = storeContents(root);
    for (const [ref, message] of cases) {
      const r = run(root, dir, ['image', 'analyze', ref]);
      assert.equal(r.status, 1, ref);
      assert.match(r.stderr, message, ref);
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    }
    assert.deepEqual(storeContents(root), before);
  });

  test('a layer whose bytes do not match its diff_id is named', async () => {
    const damaged = join(dir, 'damaged.tar');
    const bytes = readFileSync(join(dir, 'app.tar'));
    // Flip a byte inside the first layer's body (the 'a' run of layer 0).
    const at = bytes.indexOf(Buffer.alloc(64, 'a'));
    bytes[at + 10] = 0x78;
    writeFileSync(damaged, bytes);
    const r = run(root, dir, ['image', 'analyze', `docker-archive:${damaged}`]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /layer 0 \(sha256:[a-f0-9]{64}\) of docker-archive:.*damaged\.tar: its content hashes to sha256:[a-f0-9]{64}, not to its diff_id/);
  });

  test('a symlink loop and a directory of 100,000 entries are only data: analysed, never followed', async () => {
    const big: LayerEntry[] = [
      { name: 'loop/', type: 'directory' },
      { name: 'loop/a', type: 'symlink', linkname: 'b' },
      { name: 'loop/b', type: 'symlink', linkname: 'a' },
      { name: 'loop/self', type: 'symlink', linkname: '.' },
      { name: 'many/', type: 'directory' },
    ];
    for (let i = 0; i < 100_000; i++) big.push({ name: `many/f${i}`, type: 'file', body: i === 0 ? Buffer.from('x') : undefined });
    const archive = join(dir, 'hostile.tar');
    await writeLayeredArchive(archive, [big], 'bad/hostile:1');
    assert.ok(statSync(archive).size > 50_000_000);
    const out = strataOk(root, ['image', 'analyze', '--format', '{{.totals.visibleFiles}} {{.totals.storedBytes}} {{(index .layers 0).added.files}}', `docker-archive:${archive}`]);
    assert.equal(out, '100003 1 100003\n');
  });
});
