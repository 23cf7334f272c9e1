// A kept context directory synced with a context tar (src/builder/context/tar-sync.ts) must
// end exactly as the same tar unpacked into an empty directory (what a one-off tar context
// gets, and what its cache keys were computed from): types, modes, owners, mtimes, contents,
// link targets, hardlinks. Checked after each tar of hand-made and seeded random sequences
// (names made unclean, root entries, implicit parents, duplicates, whiteouts), on a real
// filesystem; a rebuild with the same tar writes nothing (inodes and ctimes stay), a
// truncated tar leaves the directory untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { applyLayer } from '../../../src/diff/index.ts';
import { syncContextTar } from '../../../src/builder/context/tar-sync.ts';
import { hostileTar, type HostileEntry } from '../../helpers/hostile-tars.ts';
import { Prng } from '../../helpers/prng.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

/** Everything a COPY could see of a tree, root mtime aside (an unpacked tar's root is made "now"). */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const inodes = new Map<number, string>();
  const walk = (rel: string): void => {
    const abs = rel === '' ? root : join(root, rel);
    const st = lstatSync(abs);
    let line = `${rel || '.'} ${(st.mode >>> 0).toString(8)} ${st.uid}:${st.gid}`;
    // A directory the tar does not name (an implicit parent) is made "now", in either tree.
    if (rel !== '') line += st.isDirectory() && st.mtimeMs > 1.75e12 ? ' t=now' : ` t=${Math.round(st.mtimeMs * 1000)}`;
    if (st.isFile()) {
      const first = inodes.get(st.ino);
      if (first !== undefined) line += ` link=${first}`;
      else {
        inodes.set(st.ino, rel);
        line += ` n=${st.nlink} ${createHash('sha256').update(readFileSync(abs)).digest('hex').slice(0, 12)}`;
      }
    } else if (st.isSymbolicLink()) {
      line += ` -> ${readlinkSync(abs)}`;
    }
    out.push(line);
    if (st.isDirectory()) for (const name of readdirSync(abs).sort()) walk(rel === '' ? name : `${rel}/${name}`);
  };
  walk('');
  return out;
}

/** The tar in chunks of random sizes, as a socket delivers it. */
async function* chunks(tar: Buffer, rng: Prng): AsyncGenerator<Buffer> {
  for (let at = 0; at < tar.length; ) {
    const n = 1 + rng.int(rng.chance(0.5) ? 700 : 90_000);
    yield tar.subarray(at, at + n);
    at += n;
  }
}

async function unpacked(tar: Buffer, base: string, n: number): Promise<string> {
  const dir = join(base, `fresh-${n}`);
  mkdirSync(dir);
  await applyLayer({ source: (async function* () { yield tar; })(), target: dir, whiteouts: 'native', computeDiffId: false });
  return dir;
}

function inodesAndCtimes(root: string): string[] {
  return snapshot(root).map((line) => line.split(' ')[0]!).map((rel) => {
    const st = lstatSync(rel === '.' ? root : join(root, rel));
    return `${rel} ${st.ino} ${st.ctimeMs}`;
  });
}

const file = (name: string, body: string, more: Partial<HostileEntry> = {}): HostileEntry => ({ name, type: 'file', mode: 0o644, mtime: 1_700_000_000, body, ...more });
const dir = (name: string, more: Partial<HostileEntry> = {}): HostileEntry => ({ name, type: 'directory', mode: 0o755, mtime: 1_700_000_100, ...more });

test('a kept directory synced with a sequence of tars ends as each tar unpacked afresh; an unchanged tar writes nothing', async () => {
  const base = tempDir();
  const kept = join(base, 'kept');
  const rng = new Prng(7);
  const big = 'x'.repeat(600_000);
  const steps: HostileEntry[][] = [
    [dir('./'), file('Dockerfile', 'FROM scratch\n'), dir('links'), file('links/a', 'a'), { name: 'links/hard', type: 'hardlink', linkname: 'links/a', mode: 0o644, mtime: 1_700_000_000 }, dir('src'), file('src/a.txt', 'a'), file('src/big', big), { name: 'src/link', type: 'symlink', linkname: 'a.txt', mtime: 1_700_000_000 }],
    // Same again: nothing written but the hardlinked pair in links/ (a kept file with two links is rewritten, see tar-sync.ts).
    [dir('./'), file('Dockerfile', 'FROM scratch\n'), dir('links'), file('links/a', 'a'), { name: 'links/hard', type: 'hardlink', linkname: 'links/a', mode: 0o644, mtime: 1_700_000_000 }, dir('src'), file('src/a.txt', 'a'), file('src/big', big), { name: 'src/link', type: 'symlink', linkname: 'a.txt', mtime: 1_700_000_000 }],
    // A byte changed deep inside the big file, same size and mtime; links/ goes; no root entry.
    [file('Dockerfile', 'FROM scratch\n'), dir('src'), file('src/a.txt', 'a'), file('src/big', `${big.slice(0, 400_000)}y${big.slice(400_001)}`), { name: 'src/link', type: 'symlink', linkname: 'big', mtime: 1_700_000_000 }, file('src/hard', 'a')],
    // Modes, owners and mtimes; a directory becomes a file and a file a directory; src/link goes.
    [dir('./', { mode: 0o700 }), file('Dockerfile', 'FROM scratch\n', { mode: 0o600, uid: 1000, gid: 1000 }), file('src', 'now a file', { mtime: 1_600_000_000 }), dir('Dockerfile.d', { uid: 7 }), file('Dockerfile.d/x', 'x')],
    // Unclean names and an implicit parent: the rest of the tar is applied whole.
    [file('./Dockerfile', 'FROM scratch\n'), file('new/deep/f', 'f'), dir('./src'), file('src/../src/g', 'g')],
    // A duplicate and whiteouts.
    [dir('./'), file('Dockerfile', 'FROM scratch\n'), dir('a'), file('a/x', 'x'), file('a/y', 'y'), file('a/x', 'x2'), file('a/.wh.y', ''), file('a/.wh..wh..opq', '')],
    [dir('./'), file('Dockerfile', 'FROM scratch\n'), dir('a'), file('a/x', 'x2')],
    // Names are bytes: 'é' is not the file whose UTF-8 name spells its bytes as Latin-1 ('Ã©').
    [dir('./'), file('Dockerfile', 'FROM scratch\n'), file('Ã©', 'same')],
    [dir('./'), file('Dockerfile', 'FROM scratch\n'), file('Ã©', 'same'), file('é', 'same')],
    [dir('./'), file('Dockerfile', 'FROM scratch\n'), dir('ü'), file('ü/é', 'other')],
  ];
  for (const [i, entries] of steps.entries()) {
    const tar = hostileTar(entries);
    const before = i === 1 ? inodesAndCtimes(kept) : undefined;
    const stats = await syncContextTar(chunks(tar, rng), kept, join(base, `spool-${i}`));
    assert.deepEqual(snapshot(kept), snapshot(await unpacked(tar, base, i)), `step ${i}`);
    if (before !== undefined) {
      assert.deepEqual({ written: stats.written, removed: stats.removed }, { written: 2, removed: 0 });
      const linked = /^links[ /]/;
      assert.deepEqual(inodesAndCtimes(kept).filter((l) => !linked.test(l)), before.filter((l) => !linked.test(l)), 'an unchanged tar rewrites nothing else');
    }
    if (i === 2) assert.equal(stats.written, 3, 'the big file, the symlink and the new src/hard');
  }
  assert.deepEqual(readdirSync(base).filter((n) => n.startsWith('spool')), [], 'spools are removed');
});

/** A random context: a few directories, files of random sizes, symlinks and hardlinks. */
function randomContext(rng: Prng, previous: HostileEntry[] | undefined): HostileEntry[] {
  const names = ['a', 'b', 'a/c', 'a/d', 'b/e', 'a/c/f', 'g', 'h'];
  const byName = new Map<string, HostileEntry>((previous ?? []).map((e) => [e.name, { ...e }]));
  const changes = previous === undefined ? 12 : rng.int(4);
  for (let k = 0; k < changes; k++) {
    const name = rng.pick(names)!;
    const old = byName.get(name);
    const kind = rng.weighted({ file: 5, dir: 2, symlink: 1, remove: 2, touch: 2, chmod: 1, flip: 2 });
    if (kind === 'remove') {
      for (const n of byName.keys()) if (n === name || n.startsWith(`${name}/`)) byName.delete(n);
    } else if (kind === 'touch' && old !== undefined) {
      old.mtime = 1_700_000_000 + rng.int(1000);
    } else if (kind === 'chmod' && old !== undefined) {
      old.mode = rng.pick([0o644, 0o600, 0o755, 0o4755])!;
      old.uid = rng.pick([0, 1000, 1001])!;
    } else if (kind === 'flip' && old?.type === 'file' && old.body !== undefined && old.body.length > 0) {
      // Same size, same mtime, one byte different.
      const at = rng.int(old.body.length);
      old.body = `${old.body.slice(0, at)}${old.body[at] === 'z' ? 'y' : 'z'}${old.body.slice(at + 1)}`;
    } else if (kind === 'dir') {
      byName.set(name, dir(name, { mode: rng.pick([0o755, 0o700])!, mtime: 1_700_000_000 + rng.int(1000) }));
    } else if (kind === 'symlink') {
      byName.set(name, { name, type: 'symlink', linkname: rng.pick(['g', '../h', 'a/c/f', 'missing'])!, mtime: 1_700_000_000 });
    } else {
      const size = rng.pick([0, 1, 100, 70_000, 300_000])!;
      byName.set(name, file(name, rng.hex(Math.min(size, 64)).repeat(Math.ceil(size / 64)).slice(0, size), { mtime: 1_700_000_000 + rng.int(3) }));
    }
  }
  // Parents must be directories for the tree to make sense: drop what sits below a non-directory.
  let entries = [...byName.values()].sort((x, y) => (x.name < y.name ? -1 : 1));
  entries = entries.filter((e) => {
    const parts = e.name.split('/');
    for (let j = 1; j < parts.length; j++) if (byName.get(parts.slice(0, j).join('/'))?.type !== 'directory') return false;
    return true;
  });
  const files = entries.filter((e) => e.type === 'file').map((e) => e.name);
  const links: HostileEntry[] = rng.chance(0.4) && files.length > 0 ? [{ name: `${rng.pick(['a', 'b'])}-hard`, type: 'hardlink', linkname: rng.pick(files)!, mode: 0o644, mtime: 1_700_000_000 }] : [];
  return [...entries, ...links.filter((l) => !byName.has(l.name))];
}

/** The same context as a tar, sometimes written the way other tools write one. */
function asTar(entries: HostileEntry[], rng: Prng): Buffer {
  let list = entries.map((e) => ({ ...e }));
  if (rng.chance(0.5)) list.unshift(dir('./', { mode: rng.pick([0o755, 0o750])! }));
  if (rng.chance(0.2)) list = list.map((e) => ({ ...e, name: e.name === './' ? e.name : `./${e.name}` }));
  if (rng.chance(0.1)) list = list.filter((e) => e.type !== 'directory' || e.name === './');
  if (rng.chance(0.1) && list.length > 0) list.push({ ...rng.pick(list)! });
  if (rng.chance(0.1) && list.length > 0) list.push(file(`${rng.pick(list)!.name.replace(/[^/]*$/, '')}.wh.${rng.pick(['a', 'g', 'h'])!}`, ''));
  return hostileTar(list);
}

test('seeded random sequences: the kept directory always ends as the tar unpacked afresh', async () => {
  const seed = Prng.seedFrom('CONTEXT_SYNC_SEED');
  const rng = new Prng(seed);
  const base = tempDir();
  for (let run = 0; run < 6; run++) {
    const kept = join(base, `kept-${run}`);
    let entries: HostileEntry[] | undefined;
    for (let step = 0; step < 8; step++) {
      entries = randomContext(rng, entries);
      const tar = asTar(entries, rng);
      const n = run * 100 + step;
      let error: unknown;
      let fresh: string | undefined;
      try {
        fresh = await unpacked(tar, base, n);
      } catch (err) {
        error = err;
      }
      if (error !== undefined) {
        // A tar that unpacking refuses (a hardlink before its target): the sync refuses it too,
        // and its caller removes the kept directory (build-context.ts).
        await assert.rejects(syncContextTar(chunks(tar, rng), kept, join(base, `spool-${n}`)), `seed ${seed}, run ${run}, step ${step}`);
        rmSync(kept, { recursive: true, force: true });
        entries = undefined;
        continue;
      }
      await syncContextTar(chunks(tar, rng), kept, join(base, `spool-${n}`));
      assert.deepEqual(snapshot(kept), snapshot(fresh!), `seed ${seed} (CONTEXT_SYNC_SEED), run ${run}, step ${step}`);
    }
  }
});

test('a truncated or malformed tar fails the sync before the kept directory changes', async () => {
  const base = tempDir();
  const kept = join(base, 'kept');
  const rng = new Prng(3);
  await syncContextTar(chunks(hostileTar([file('Dockerfile', 'FROM scratch\n'), file('a', 'a')]), rng), kept, join(base, 'spool-0'));
  const before = snapshot(kept);
  const changed = hostileTar([file('Dockerfile', 'FROM busybox\n'), file('a', 'b'.repeat(5000)), file('c', 'c')]);
  await assert.rejects(syncContextTar(chunks(changed.subarray(0, 2000), rng), kept, join(base, 'spool-1')), /truncated|unexpected end/i);
  assert.deepEqual(snapshot(kept), before);
  const garbage = Buffer.concat([changed.subarray(0, 1536), Buffer.alloc(512, 0x41)]);
  await assert.rejects(syncContextTar(chunks(garbage, rng), kept, join(base, 'spool-2')));
  assert.deepEqual(snapshot(kept), before);
  assert.deepEqual(readdirSync(base).sort(), ['kept']);
});
