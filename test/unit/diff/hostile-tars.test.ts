// The hostile-tar corpus (test/helpers/hostile-tars.ts: node-tar's 2021 advisories, docker
// cp's escapes) applied with the real applyLayer: both whiteout modes, from a stream, from a
// file, and with the second thread writing the files. Each case is refused naming its entry,
// or applies with every path inside the target; nothing outside the target changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkLanded, HOST_CANARY, HOSTILE_TARS, hostileTar } from '../../helpers/hostile-tars.ts';
import { apply, snapshot, tempDir } from './layer-helpers.ts';

/** A target beside `outside` (holding `secret`), and a check that nothing but the target changed. */
function arena(): { target: string; outside: string; check(): void } {
  const root = tempDir('sh-');
  const target = join(root, 'target');
  const outside = join(root, 'outside');
  mkdirSync(target);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'untouched');
  const before = snapshot(outside);
  return {
    target,
    outside,
    check() {
      assert.deepEqual(snapshot(outside), before, 'outside is unchanged');
      assert.deepEqual(readdirSync(root).sort(), ['outside', 'target'], 'nothing new beside the target');
      assert.equal(lstatSync(join(outside, 'secret')).nlink, 1, 'no hardlink to the secret');
      assert.equal(existsSync(join('/etc', HOST_CANARY)), false, "nothing written in the host's /etc");
    },
  };
}

const WAYS = [
  { how: 'from a stream', options: { secondThreadAfter: Infinity } },
  { how: 'from a file', options: { fromFile: true, secondThreadAfter: Infinity } },
  { how: 'with the second thread writing files', options: { secondThreadAfter: 0 } },
] as const;

for (const c of HOSTILE_TARS) {
  test(c.title, async (t) => {
    for (const mode of ['overlay', 'native'] as const) {
      for (const way of WAYS) {
        await t.test(`${mode}, ${way.how}`, async () => {
          const a = arena();
          const layer = c.tar(a.outside);
          if (c.refused !== undefined) {
            await assert.rejects(apply(layer, a.target, mode, 512, way.options), { code: 'invalid-argument', message: c.refused });
          } else {
            await apply(layer, a.target, mode, 512, way.options);
            checkLanded(a.target, c.lands!(a.outside));
          }
          a.check();
        });
      }
    }
  });
}

test("plain extraction (cp's 'none' mode): whiteout names are files, and nothing already there is deleted", async () => {
  for (const way of WAYS) {
    const a = arena();
    mkdirSync(join(a.target, 'dir'));
    writeFileSync(join(a.target, 'keep'), 'kept');
    writeFileSync(join(a.target, 'dir', 'keep'), 'kept');
    const archive = hostileTar([
      { name: '.wh.keep', type: 'file', body: 'w' },
      { name: 'dir/.wh..wh..opq', type: 'file', body: 'o' },
      { name: '.wh..wh.plnk/x', type: 'file', body: 'p' },
    ]);
    await apply(archive, a.target, 'none', 512, way.options);
    checkLanded(a.target, [
      { path: 'keep', file: 'kept' }, { path: '.wh.keep', file: 'w' },
      { path: 'dir/keep', file: 'kept' }, { path: 'dir/.wh..wh..opq', file: 'o' }, { path: '.wh..wh.plnk/x', file: 'p' },
    ]);
    a.check();
  }
});
