// `image mount`: an image's union view, read-only, compared with what a docker container of
// the same image shows (recorded beside the fixture). The deepest image it mounts is in
// layer-limit.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { strata } from '../helpers/strata-cli.ts';
import { mountPoints } from '../../src/mount/index.ts';

const FIXTURE = new URL('../fixtures/docker-save/', import.meta.url).pathname;

function permString(mode: number): string {
  const type = (mode & 0o170000) === 0o040000 ? 'd' : (mode & 0o170000) === 0o120000 ? 'l' : (mode & 0o170000) === 0o010000 ? 'p' : (mode & 0o170000) === 0o020000 ? 'c' : '-';
  const bits = 'rwxrwxrwx'.split('').map((c, i) => ((mode >> (8 - i)) & 1 ? c : '-')).join('');
  return type + bits;
}

/** The listing docker's `find / -xdev -exec stat -c '%n|%A|%u:%g|%s'` gives, from a directory. Directory sizes are left out (filesystem-specific). */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const st = lstatSync(join(root, rel));
    const name = rel === '' ? '/' : rel;
    out.push(`${name}|${permString(st.mode)}|${st.uid}:${st.gid}|${st.isDirectory() ? 'DIR' : st.size}`);
    if (st.isDirectory()) for (const n of readdirSync(join(root, rel))) walk(`${rel}/${n}`);
  };
  walk('');
  return out.sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1));
}

for (const driver of ['overlay', 'native']) {
  test(`image mount shows the tree a docker container of the image shows (${driver} driver)`, () => {
    const root = tempDir();
    const env = { STRATA_STORAGE_DRIVER: driver };
    const run = (args: string[]): string => {
      const r = strata(root, args, { env });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    run(['load', '-i', join(FIXTURE, 'three-images.tar')]);
    for (const name of ['one', 'two', 'three']) {
      const path = run(['image', 'mount', `strata-fixture/${name}:1`]).trim();
      try {
        const expected = readFileSync(join(FIXTURE, `tree-${name}.txt`), 'utf8').trim().split('\n')
          .map((l) => l.replace(/\|(\d+)$/, (m, size: string) => (l.split('|')[1]?.startsWith('d') ? '|DIR' : `|${size}`)));
        const got = listing(path);
        assert.deepEqual(got, expected.sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1)), `${name}: union view differs from docker's`);
        assert.throws(() => writeFileSync(join(path, 'data', 'x'), 'y'), /EROFS|EACCES|ENOENT/, 'the view is read-only');
        // Mounting twice gives the same path.
        assert.equal(run(['image', 'mount', `strata-fixture/${name}:1`]).trim(), path);
      } finally {
        run(['image', 'unmount', `strata-fixture/${name}:1`]);
      }
      assert.ok(!mountPoints().includes(path), 'unmounted');
    }
  });
}
