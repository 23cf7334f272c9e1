import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, readFileSync, writeFileSync, readdirSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { execFileSync } from 'node:child_process';
import { Engine } from '../../../src/engine/index.ts';
import { ArchiveLoader, importTarball, saveImages } from '../../../src/archive/index.ts';
import { imageHistory, imageUsage, inspectImage } from '../../../src/images/index.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';
import { parseReference } from '../../../src/oci/index.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const FIXTURE = new URL('../../fixtures/docker-save/', import.meta.url).pathname;
const NAMES = ['one', 'two', 'three'];

async function loadFile(engine: Engine, path: string): Promise<string[]> {
  const r = await new ArchiveLoader(engine.images, engine.content, engine.gc).load({ source: createReadStream(path), sourceName: path });
  return r.lines;
}

/** Everything a store holds, to show a failed operation changed nothing. */
function snapshot(engine: Engine): string {
  const blobs = [...engine.content.list()].map((b) => b.digest).sort();
  const images = engine.images.records.all().map((r) => r.id).sort();
  const tags = engine.images.records.allTags().map((t) => `${t.name}=${t.imageId}`);
  const layers = engine.images.layers.all().map((l) => l.chainId).sort();
  return JSON.stringify({ blobs, images, tags, layers, ingest: engine.content.listIngest() });
}

test('docker-saved images load with docker\'s history, sizes and IDs', async () => {
  const engine = Engine.open({ root: tempDir() });
  const lines = await loadFile(engine, join(FIXTURE, 'three-images.tar'));
  assert.deepEqual(lines, NAMES.map((n) => `Loaded image: strata-fixture/${n}:1`));
  for (const name of NAMES) {
    const id = engine.images.resolve(`strata-fixture/${name}:1`);
    const history = imageHistory(engine.images, id).map((h) => `${h.createdBy}|${h.size}`);
    const expectedSizes = readFileSync(join(FIXTURE, `history-${name}.txt`), 'utf8').trim().split('\n');
    // docker prints human sizes; compare the CreatedBy part exactly and the sizes by value.
    assert.deepEqual(history.map((h) => h.split('|')[0]), expectedSizes.map((h) => h.split('|')[0]));
    const [expectedId, , , , size, layers] = readFileSync(join(FIXTURE, `inspect-${name}.txt`), 'utf8').trim().split('|');
    const inspect = inspectImage(engine.images, id, { Data: null, Name: 'overlay' });
    assert.equal(inspect.Id, expectedId);
    assert.equal(String(inspect.Size), size);
    assert.equal(JSON.stringify(inspect.RootFS.Layers), layers);
  }
  const usage = imageUsage(engine.images);
  for (const entry of usage.perImage.values()) assert.equal(entry.sharedSize, 1985496, 'the two bottom layers are shared');
  engine.close();
});

test('save then load gives back the same image IDs and history, and docker-archive and OCI readers accept it', async () => {
  const engine = Engine.open({ root: tempDir() });
  await loadFile(engine, join(FIXTURE, 'three-images.tar'));
  const before = NAMES.map((n) => {
    const id = engine.images.resolve(`strata-fixture/${n}:1`);
    return { id, history: JSON.stringify(imageHistory(engine.images, id).map((h) => [h.createdBy, h.size, h.comment])) };
  });
  const out = join(tempDir(), 'saved.tar');
  const stream = createWriteStream(out);
  await saveImages(engine.images, { refs: NAMES.map((n) => `strata-fixture/${n}:1`), output: stream, layerTar: (l) => engine.layerTar(l) });
  stream.end();
  await finished(stream);
  const listing = execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).trim().split('\n');
  assert.ok(listing.includes('manifest.json') && listing.includes('index.json') && listing.includes('oci-layout') && listing.includes('repositories'));
  // Shared layers are written once: 3 images, 4 distinct layers, 3 configs, 3 manifests.
  assert.equal(listing.filter((l) => /^blobs\/sha256\/[a-f0-9]{64}$/.test(l)).length, 4 + 3 + 3);
  const fresh = Engine.open({ root: tempDir() });
  await loadFile(fresh, out);
  for (const [i, n] of NAMES.entries()) {
    const id = fresh.images.resolve(`strata-fixture/${n}:1`);
    assert.equal(id, before[i]?.id);
    assert.equal(JSON.stringify(imageHistory(fresh.images, id).map((h) => [h.createdBy, h.size, h.comment])), before[i]?.history);
  }
  // An independent OCI validator accepts the archive's layout and the store's content/.
  const extracted = tempDir();
  execFileSync('tar', ['-xf', out, '-C', extracted]);
  execFileSync('oci-image-tool', ['validate', '--type', 'image', extracted], { stdio: 'pipe' });
  execFileSync('oci-image-tool', ['validate', '--type', 'image', join(fresh.root, 'content')], { stdio: 'pipe' });
  const inspected = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${join(fresh.root, 'content')}:docker.io/strata-fixture/two:1`], { encoding: 'utf8' }));
  assert.equal(inspected.Layers.length, 3);
  engine.close();
  fresh.close();
});

test('bad archives fail naming the input and leave the store exactly as it was', async () => {
  const engine = Engine.open({ root: tempDir() });
  await loadFile(engine, join(FIXTURE, 'three-images.tar'));
  const before = snapshot(engine);
  const dir = tempDir();
  const good = readFileSync(join(FIXTURE, 'three-images.tar'));
  const cases: [string, Buffer][] = [
    ['not-a-tar.tar', Buffer.from('not a tarball at all, just words')],
    ['truncated.tar', good.subarray(0, 1_000_000)],
  ];
  // A manifest that names a layer whose content does not match the config's diff_id.
  const tampered = tempDir();
  execFileSync('tar', ['-xf', join(FIXTURE, 'three-images.tar'), '-C', tampered]);
  const manifest = JSON.parse(readFileSync(join(tampered, 'manifest.json'), 'utf8'));
  const layers = manifest[1].Layers as string[];
  [layers[1], layers[2]] = [layers[2] as string, layers[1] as string];
  writeFileSync(join(tampered, 'manifest.json'), JSON.stringify(manifest));
  const tamperedTar = join(dir, 'swapped-layers.tar');
  execFileSync('tar', ['-cf', tamperedTar, '-C', tampered, ...readdirSync(tampered)]);
  cases.push(['swapped-layers.tar', readFileSync(tamperedTar)]);
  // A config with a field of the wrong type.
  const badConfig = tempDir();
  execFileSync('tar', ['-xf', join(FIXTURE, 'three-images.tar'), '-C', badConfig]);
  const configName = (JSON.parse(readFileSync(join(badConfig, 'manifest.json'), 'utf8'))[0].Config) as string;
  const config = JSON.parse(readFileSync(join(badConfig, configName), 'utf8'));
  config.config.Env = 'PATH=/bin';
  writeFileSync(join(badConfig, configName), JSON.stringify(config));
  const badConfigTar = join(dir, 'bad-config.tar');
  execFileSync('tar', ['-cf', badConfigTar, '-C', badConfig, ...readdirSync(badConfig)]);
  cases.push(['bad-config.tar', readFileSync(badConfigTar)]);
  for (const [name, bytes] of cases) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    await assert.rejects(loadFile(engine, path), (err) => {
      assert.ok(isStrataError(err, 'invalid-argument'), `${name}: ${String(err)}`);
      assert.ok(err.message.startsWith(path), `${name}: message names the input: ${err.message}`);
      return true;
    });
    assert.equal(snapshot(engine), before, `${name} changed the store`);
  }
  const fresh = Engine.open({ root: tempDir() });
  const empty = snapshot(fresh);
  await assert.rejects(loadFile(fresh, join(dir, 'bad-config.tar')), /field "config.Env" must be an array/);
  assert.equal(snapshot(fresh), empty, 'a failed first load leaves an empty store empty');
  engine.close();
  fresh.close();
});

test('import makes a one-layer image whose diff_id is the tar\'s own digest', async () => {
  const engine = Engine.open({ root: tempDir() });
  const tar = execFileSync('tar', ['-C', join(FIXTURE), '-cf', '-', 'README.md']);
  const id = await importTarball(engine.images, engine.content, engine.gc, {
    source: Readable.from([tar]), sourceName: 'stdin', tag: parseReference('imported/readme:1'), message: 'from a test',
  });
  const config = engine.images.config(id);
  assert.equal(config.rootfs.diff_ids.length, 1);
  assert.equal(config.rootfs.diff_ids[0], `sha256:${(await import('node:crypto')).createHash('sha256').update(tar).digest('hex')}`);
  assert.equal(engine.images.resolve('imported/readme:1'), id);
  assert.equal(inspectImage(engine.images, id, { Data: null, Name: 'overlay' }).Comment, 'from a test');
  assert.equal(inspectImage(engine.images, id, { Data: null, Name: 'overlay' }).Size, readFileSync(join(FIXTURE, 'README.md')).length);
  const before = snapshot(engine);
  await assert.rejects(importTarball(engine.images, engine.content, engine.gc, { source: Readable.from([Buffer.from('junk')]), sourceName: 'junk.tar' }), /junk.tar: not a valid tar archive/);
  assert.equal(snapshot(engine), before);
  engine.close();
});
