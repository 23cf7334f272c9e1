// `run --rm`: the CLI goes on at the container's exit (it removes the container's directory)
// while the supervisor deletes the runtime's state. Whichever comes first, the runtime's
// state and the container's cgroups must go: a runtime wrapper that makes `delete` wait lets
// the removal always win the race (1 in ~70 runs did without it), which once left runc's
// state directory and cgroups behind for good.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { BUSYBOX, canRunContainers, storeWithBusybox, strata, strataOk } from './containers-fixture.ts';

const skip = canRunContainers() ? false : 'containers need root and runc';

test('run --rm leaves no runtime state and no cgroup, even when the removal comes before the runtime\'s delete', { skip }, async () => {
  const root = storeWithBusybox();
  const dir = tempDir();
  const runc = join(dir, 'runc');
  const marker = join(dir, 'deletes');
  const real = execFileSync('sh', ['-c', 'command -v runc']).toString().trim();
  // `delete` waits for the CLI's removal (the container's directory gone), then runs.
  writeFileSync(runc, `#!/bin/sh
for a in "$@"; do id=$a; done
for a in "$@"; do
  if [ "$a" = delete ]; then
    echo "$*" >> ${marker}
    for i in $(seq 100); do [ -d "${root}/containers/$id" ] || break; sleep 0.05; done
  fi
done
exec ${real} "$@"
`);
  chmodSync(runc, 0o755);
  const before = new Set(readdirSync('/sys/fs/cgroup/pids/strata', { withFileTypes: false }).map(String));
  strataOk(root, ['run', '--rm', '--name', 'rm-race', '--network', 'none', '--runtime', runc, BUSYBOX, 'true']);
  const stateRoot = join(root, 'runtime', runc);
  // The supervisor deletes after the CLI returned: wait for its delete to have run.
  await eventually(() => (existsSync(marker) ? true : undefined), 15_000, 'the supervisor\'s runtime delete');
  const left = await eventually(() => {
    const states = existsSync(stateRoot) ? readdirSync(stateRoot) : [];
    const cgroups = readdirSync('/sys/fs/cgroup/pids/strata').map(String).filter((n) => !before.has(n));
    return states.length === 0 && cgroups.length === 0 ? { states, cgroups } : undefined;
  }, 15_000, 'the runtime state and cgroups to go');
  assert.deepEqual(left, { states: [], cgroups: [] });
  assert.equal(strataOk(root, ['ps', '-aq']), '');
});

test('runtime state a removed container left (its supervisor never deleted it): system check names it, --repair deletes it and its cgroups', { skip }, () => {
  const root = storeWithBusybox();
  const dir = tempDir();
  const runc = join(dir, 'runc');
  const real = execFileSync('sh', ['-c', 'command -v runc']).toString().trim();
  // A supervisor killed before its delete: the runtime's delete never happens.
  writeFileSync(runc, `#!/bin/sh\nfor a in "$@"; do [ "$a" = delete ] && exit 1; done\nexec ${real} "$@"\n`);
  chmodSync(runc, 0o755);
  strataOk(root, ['run', '--rm', '--network', 'none', '--runtime', runc, BUSYBOX, 'true']);
  // A runtime given by path keeps its state under runtime/<path>; the check looks at runc's.
  const stateRoot = join(root, 'runtime', runc);
  const [id] = readdirSync(stateRoot);
  assert.ok(id !== undefined, 'the runtime kept the state');
  execFileSync('mkdir', ['-p', join(root, 'runtime', 'runc')]);
  execFileSync('mv', [join(stateRoot, id), join(root, 'runtime', 'runc', id)]);
  assert.ok(existsSync(`/sys/fs/cgroup/pids/strata/${id}`), 'and the cgroups');
  const check = strata(root, ['system', 'check']);
  assert.equal(check.status, 1);
  assert.match(check.stdout, new RegExp(`^leftover: runtime state of container ${id.slice(0, 12)}: `, 'm'));
  assert.match(strataOk(root, ['system', 'check', '--repair']), new RegExp(`^repaired: removed runtime state of container ${id.slice(0, 12)}`, 'm'));
  assert.deepEqual(readdirSync(join(root, 'runtime', 'runc')), []);
  assert.ok(!existsSync(`/sys/fs/cgroup/pids/strata/${id}`), 'its cgroups are gone');
  assert.equal(strata(root, ['system', 'check']).status, 0);
});
