// The image commands through the real CLI, compared with what docker printed for the same
// images (test/fixtures/docker-save, README there says how it was made).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { tempDir } from '../helpers/temp-dir.ts';
import { strata, strataOk } from '../helpers/strata-cli.ts';

const FIXTURE = new URL('../fixtures/docker-save/', import.meta.url).pathname;
const NAMES = ['one', 'two', 'three'];
const INSPECT_FORMAT = '{{.Id}}|{{json .RepoTags}}|{{.Created}}|{{.Os}}/{{.Architecture}}|{{.Size}}|{{json .RootFS.Layers}}|{{json .Config}}';

function fixture(name: string): string {
  return readFileSync(join(FIXTURE, name), 'utf8');
}

/** docker 28 (API 1.50) leaves empty fields out of Config; docker 20.10 here printed them all (see the fixture README). */
function docker28Config(line: string): string {
  const parts = line.trimEnd().split('|');
  const config = JSON.parse(parts.slice(6).join('|')) as Record<string, unknown>;
  const legacyOnly = new Set(['Hostname', 'Domainname', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce', 'Image']);
  const kept = Object.fromEntries(Object.entries(config).filter(([k, v]) =>
    !legacyOnly.has(k) && v !== null && v !== '' && v !== false && !(Array.isArray(v) && v.length === 0)));
  return [...parts.slice(0, 6), JSON.stringify(kept)].join('|') + '\n';
}

function loaded(): string {
  const root = tempDir();
  strataOk(root, ['load', '-i', join(FIXTURE, 'three-images.tar')]);
  return root;
}

test('history and inspect print exactly what docker printed for the loaded images', () => {
  const root = loaded();
  for (const name of NAMES) {
    const ref = `strata-fixture/${name}:1`;
    assert.equal(strataOk(root, ['image', 'history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Size}}', ref]), fixture(`history-${name}.txt`));
    assert.equal(strataOk(root, ['history', '--format', '{{.ID}}|{{.Size}}|{{.Comment}}', ref]), fixture(`history-ids-${name}.txt`));
    assert.equal(strataOk(root, ['image', 'inspect', '--format', INSPECT_FORMAT, ref]), docker28Config(fixture(`inspect-${name}.txt`)));
  }
});

test('system df -v shows the shared layers as docker does', () => {
  const root = loaded();
  const rows = strataOk(root, ['system', 'df', '-v']).split('\n')
    .filter((l) => l.startsWith('strata-fixture/'))
    .map((l) => {
      const f = l.trim().split(/\s{2,}|\s+/);
      return [f[0], f[1], f[2], f.at(-4), f.at(-3), f.at(-2), f.at(-1)].join(' ');
    })
    .sort();
  assert.deepEqual(rows, fixture('df-v.txt').trim().split('\n'));
  const summary = strataOk(root, ['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Size}}']);
  assert.equal(summary, 'Images 3 1.986MB\nContainers 0 0B\nLocal Volumes 0 0B\nBuild Cache 0 0B\n');
});

test('images lists tags, dangling images and filters as docker does', () => {
  const root = loaded();
  strataOk(root, ['tag', 'strata-fixture/one:1', 'other/name:v2']);
  const table = strataOk(root, ['images']);
  assert.match(table, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
  assert.match(table, /\nother\/name\s+v2\s+b477aa382e6a\s+\S.* ago\s+1\.99MB\n/);
  assert.equal(strataOk(root, ['images', '--format', '{{.Repository}}:{{.Tag}}', 'strata-fixture/*']).split('\n').sort().join(','), ',strata-fixture/one:1,strata-fixture/three:1,strata-fixture/two:1');
  assert.equal(strataOk(root, ['images', '-q', '--filter', 'reference=other/*']), 'b477aa382e6a\n');
  assert.equal(strataOk(root, ['images', '--filter', 'label=fixture=one', '-q']).split('\n').filter(Boolean).length, 4);
  assert.equal(strataOk(root, ['images', '--no-trunc', '-q', 'other/name:v2']), 'sha256:b477aa382e6a83310a0d6cc4b9e1d564d1fcf184880c5386957308c9dd982552\n');
  // Untagging the last name of an image that another image is built on leaves it dangling, shown as <none>.
  strataOk(root, ['import', '-', 'tmp:1'], { input: execFileSync('tar', ['-C', FIXTURE, '-cf', '-', 'README.md']) });
  const id = strataOk(root, ['images', '-q', 'tmp:1']).trim();
  strataOk(root, ['tag', 'tmp:1', 'tmp:2']);
  assert.equal(strataOk(root, ['rmi', 'tmp:1']), 'Untagged: tmp:1\n');
  const removal = strataOk(root, ['rmi', 'tmp:2']);
  assert.match(removal, new RegExp(`^Untagged: tmp:2\\nDeleted: sha256:${id}[0-9a-f]+\\nDeleted: sha256:[0-9a-f]{64}\\n$`));
});

test('save, rmi, load gives back the same IDs and history; save output is a valid OCI layout', () => {
  const root = loaded();
  const before = NAMES.map((n) => strataOk(root, ['history', '--no-trunc', '--format', '{{.ID}} {{.CreatedBy}}|{{.Size}}', `strata-fixture/${n}:1`]));
  const ids = NAMES.map((n) => strataOk(root, ['images', '-q', '--no-trunc', `strata-fixture/${n}:1`]));
  const archive = join(tempDir(), 'all.tar');
  strataOk(root, ['save', '-o', archive, ...NAMES.map((n) => `strata-fixture/${n}:1`)]);
  for (const n of NAMES) strataOk(root, ['rmi', `strata-fixture/${n}:1`]);
  assert.equal(strataOk(root, ['images', '-q']), '');
  assert.equal(strataOk(root, ['load', '-i', archive]), NAMES.map((n) => `Loaded image: strata-fixture/${n}:1\n`).join(''));
  NAMES.forEach((n, i) => {
    assert.equal(strataOk(root, ['history', '--no-trunc', '--format', '{{.ID}} {{.CreatedBy}}|{{.Size}}', `strata-fixture/${n}:1`]), before[i]);
    assert.equal(strataOk(root, ['images', '-q', '--no-trunc', `strata-fixture/${n}:1`]), ids[i]);
  });
  // Through stdin, gzip-compressed.
  const gz = execFileSync('gzip', ['-c', archive]);
  const fresh = tempDir();
  assert.equal(strataOk(fresh, ['load'], { input: gz }), NAMES.map((n) => `Loaded image: strata-fixture/${n}:1\n`).join(''));
  const dir = tempDir();
  execFileSync('tar', ['-xf', archive, '-C', dir]);
  execFileSync('oci-image-tool', ['validate', '--type', 'image', dir], { stdio: 'pipe' });
  execFileSync('oci-image-tool', ['validate', '--type', 'image', join(root, 'content')], { stdio: 'pipe' });
  const viaSkopeo = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${join(root, 'content')}:docker.io/strata-fixture/three:1`], { encoding: 'utf8' }));
  assert.equal(viaSkopeo.Digest.length, 71);
});

test('rmi of one of an image\'s names takes it out of content/index.json, so OCI tools no longer find it', () => {
  const root = loaded();
  strataOk(root, ['tag', 'strata-fixture/one:1', 'strata-fixture/extra:1']);
  const names = (): string[] => (JSON.parse(readFileSync(join(root, 'content', 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] })
    .manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name'] ?? '').filter((n) => n.includes('/one:') || n.includes('/extra:'));
  assert.deepEqual(names(), ['docker.io/strata-fixture/extra:1', 'docker.io/strata-fixture/one:1']);
  assert.equal(strataOk(root, ['rmi', 'strata-fixture/extra:1']), 'Untagged: strata-fixture/extra:1\n');
  assert.deepEqual(names(), ['docker.io/strata-fixture/one:1']);
  const skopeo = spawnSync('skopeo', ['inspect', `oci:${join(root, 'content')}:docker.io/strata-fixture/extra:1`], { encoding: 'utf8' });
  assert.notEqual(skopeo.status, 0, 'skopeo finds the removed name');
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
});

test('docker loads what strata saves and runs it (skipped when no docker daemon runs here)', (t) => {
  let dockerUp: boolean;
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'pipe' });
    dockerUp = true;
  } catch {
    dockerUp = false;
  }
  if (!dockerUp) {
    t.skip('no docker daemon runs here (start one: containerd & dockerd --iptables=false --bridge=none &)');
    return;
  }
  const root = loaded();
  const archive = join(tempDir(), 'two.tar');
  strataOk(root, ['tag', 'strata-fixture/two:1', 'strata-roundtrip/two:1']);
  strataOk(root, ['save', '-o', archive, 'strata-roundtrip/two:1']);
  try {
    assert.match(execFileSync('docker', ['load', '-i', archive], { encoding: 'utf8' }), /Loaded image: strata-roundtrip\/two:1/);
    assert.equal(execFileSync('docker', ['run', '--rm', 'strata-roundtrip/two:1'], { encoding: 'utf8' }), 'two\n');
  } finally {
    execFileSync('docker', ['rmi', 'strata-roundtrip/two:1'], { stdio: 'ignore' });
  }
});

test('bad input: one-line errors naming the input, non-zero exit, store unchanged', () => {
  const root = loaded();
  const state = (): string => JSON.stringify([strataOk(root, ['images', '-a', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}} {{.Size}}']), existsSync(join(root, 'content', 'ingest')) ? execFileSync('ls', [join(root, 'content', 'ingest')], { encoding: 'utf8' }) : '', execFileSync('ls', [join(root, 'content', 'blobs', 'sha256')], { encoding: 'utf8' })]);
  const before = state();
  const dir = tempDir();
  const cases: { args: string[]; input?: Buffer; status: number; stderr: RegExp }[] = [
    { args: ['load', '-i', join(dir, 'missing.tar')], status: 1, stderr: /missing\.tar: no such file or directory/ },
    { args: ['load'], input: Buffer.from('not a tarball'), status: 1, stderr: /^Error: stdin: .*tar/ },
    { args: ['load'], input: readFileSync(join(FIXTURE, 'three-images.tar')).subarray(0, 700_000), status: 1, stderr: /^Error: stdin: / },
    { args: ['image', 'inspect', 'nope:1'], status: 1, stderr: /^Error: No such image: nope:1\n$/ },
    { args: ['history', 'nope'], status: 1, stderr: /^Error: No such image: nope:latest\n$/ },
    { args: ['rmi', 'nope'], status: 1, stderr: /No such image: nope:latest/ },
    { args: ['images', '--format', '{{.ID'], status: 1, stderr: /^template parsing error: template: :1: unclosed action\n$/ },
    { args: ['images', '--bogus'], status: 125, stderr: /^unknown flag: --bogus\n/ },
    { args: ['frobnicate'], status: 1, stderr: /^strata: unknown command: strata frobnicate\n/ },
    { args: ['tag', 'strata-fixture/one:1', 'Bad:Name'], status: 1, stderr: /repository name \(library\/Bad\) must be lowercase/ },
    { args: ['import', '-c', 'FROBNICATE x', '-', 'x:1'], input: Buffer.from(''), status: 1, stderr: /FROBNICATE/i },
  ];
  for (const c of cases) {
    const r = strata(root, c.args, c.input ? { input: c.input } : {});
    assert.equal(r.status, c.status, `${c.args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, c.stderr, c.args.join(' '));
    assert.ok(r.stderr.trim().split('\n').length <= 6, `${c.args.join(' ')}: short error`);
    assert.equal(state(), before, `${c.args.join(' ')} changed the store`);
  }
});

test('--help and version work without touching the store', () => {
  const root = join(tempDir(), 'never-created');
  assert.match(strataOk(root, ['images', '--help']), /^Usage: {2}strata images \[OPTIONS\] \[REPOSITORY\[:TAG\]\]\n\nList images\n\nAliases:\n {2}strata image ls, strata image list, strata images\n/);
  assert.match(strataOk(root, ['--version']), /^strata version \d+\.\d+\.\d+\n$/);
  assert.match(strataOk(root, ['--help']), /Management Commands:/);
  assert.equal(existsSync(root), false);
});
