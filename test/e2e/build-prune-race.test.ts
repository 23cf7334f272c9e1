// Builds that reuse cached steps while `builder prune -a -f` and `image prune -a -f` run in a
// loop on the same store: a build holds a lease on every layer it reuses or makes, so prune
// leaves those alone, and prune skips what is leased or stacked on instead of failing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strataAsync } from '../helpers/registry-cli.ts';
import type { CliResult } from '../helpers/strata-cli.ts';
import { BASE, context, storeWithBase, strataOk } from './build-fixture.ts';

/** Builds per loop: enough that, before builds leased their layers, most runs saw a failure. */
const BUILDS = 12;

const root = storeWithBase();
// `image prune -a` removes every image no container uses: this container keeps the base image,
// which a build cannot do without (docker's build would fail the same way without it).
strataOk(root, ['create', '--name', 'keeps-base', BASE]);

const ctx = context(
  `FROM ${BASE}\nRUN echo one > /one\nCOPY a.txt /a.txt\nRUN cat /a.txt > /two\nWORKDIR /w\nCOPY b.txt .\nRUN ls / > /three\nCOPY a.txt b.txt /w/both/\nRUN cat /w/b.txt > /four\n`,
  { 'a.txt': 'hello\n', 'b.txt': 'world\n' },
);

function failure(args: string[], r: CliResult): string {
  return `strata ${args.join(' ')} exited ${r.status}:\n${r.stderr.split('\n').filter((l) => /error|snapshot/i.test(l)).join('\n') || r.stderr}`;
}

test('builds that reuse cached steps all succeed while builder prune and image prune run in a loop', async (t) => {
  // Warm the cache, so builds start with hits that prune then races to remove.
  strataOk(root, ['build', '-q', '-t', 'race/app:warm', ctx]);
  const failures: string[] = [];
  let building = true;
  const prunes = { builder: 0, image: 0 };
  const pruneLoop = async (kind: 'builder' | 'image'): Promise<void> => {
    const args = [kind, 'prune', '-a', '-f'];
    while (building) {
      const r = await strataAsync(root, args);
      prunes[kind]++;
      if (r.status !== 0) failures.push(failure(args, r));
    }
  };
  const buildLoop = async (name: string): Promise<void> => {
    for (let i = 0; i < BUILDS; i++) {
      const args = ['build', '--progress=plain', '-t', `race/${name}:${i}`, ctx];
      const r = await strataAsync(root, args);
      if (r.status !== 0) failures.push(failure(args, r));
    }
  };
  const pruners = [pruneLoop('builder'), pruneLoop('image')];
  try {
    await Promise.all([buildLoop('a'), buildLoop('b')]);
  } finally {
    building = false;
    await Promise.all(pruners);
  }
  assert.deepEqual(failures, []);
  t.diagnostic(`${prunes.builder} builder prunes and ${prunes.image} image prunes ran beside ${2 * BUILDS} builds`);
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
  // What the cache keeps is whole: one more build (hits or not) gives the right files.
  strataOk(root, ['build', '-q', '-t', 'race/app:last', ctx]);
  assert.equal(strataOk(root, ['run', '--rm', 'race/app:last', 'cat', '/two', '/four', '/w/both/a.txt']), 'hello\nworld\nhello\n');
  assert.match(strataOk(root, ['system', 'check']), /: OK\n$/);
});
