// The runc strata starts containers with: `version` and `info` name it as docker does, and
// run/create refuse a runc without the fix for CVE-2024-21626 ("Leaky Vessels"), found by
// what runc does (src/runtime/runc-check.ts), not by its version number: the machine's own
// runc (Debian's 1.1.5 with the fix backported) is accepted; fake runc scripts that behave
// like an unfixed one, or whose behaviour can't be probed, are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { BUSYBOX, storeWithBusybox, strata, strataOk } from './containers-fixture.ts';

const root = storeWithBusybox();
const REAL_RUNC = execFileSync('sh', ['-c', 'command -v runc']).toString().trim();

/** What runc --version says, read here independently of strata. */
function realVersion(): { version: string; commit: string } {
  const text = execFileSync(REAL_RUNC, ['--version']).toString();
  return { version: /^runc version (\S+)/m.exec(text)![1]!, commit: /^commit: (\S+)/m.exec(text)![1]! };
}

/** A script named runc in a fresh directory; its `--version` says `version`. */
function fakeRunc(version: string, body: string): string {
  const path = join(tempDir(), 'runc');
  writeFakeRunc(path, version, body);
  return path;
}

function writeFakeRunc(path: string, version: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\ncase "$1" in --version) printf 'runc version ${version}\\ncommit: v${version}-0-gfa4e\\nspec: 1.0.2-dev\\n'; exit 0;; esac\n${body}\n`);
  chmodSync(path, 0o755);
}

/** Acts as a runc without the fix: the probe's container "starts" (its cwd outside the root). */
const UNFIXED = 'exit 0';

function names(): string {
  return strataOk(root, ['ps', '-a', '--format', '{{.Names}}']);
}

test('version and info name the runc in use, as docker shows it; the installed runc passes the probe and runs containers', () => {
  const real = realVersion();
  assert.ok(strataOk(root, ['version']).endsWith(` runc:\n  Version:          ${real.version}\n  GitCommit:        ${real.commit}\n`));
  assert.equal(strataOk(root, ['version', '--format', '{{range .Server.Components}}{{.Name}} {{.Version}};{{end}}']), `Engine 0.1.0;runc ${real.version};\n`);
  const info = strata(root, ['info']);
  assert.equal(info.status, 0);
  assert.match(info.stdout, new RegExp(`\\n Default Runtime: runc\\n runc version: ${real.commit.replace(/[.+]/g, '\\$&')}\\n Kernel Version: `));
  assert.equal(info.stderr, '', 'no warning about the installed runc');
  assert.equal(strataOk(root, ['info', '--format', '{{.RuncCommit.ID}}']), `${real.commit}\n`);
  assert.equal(strataOk(root, ['run', '--rm', BUSYBOX, 'echo', 'ran']), 'ran\n');
  // Accepted for what it does, whatever its number says (Debian's 1.1.5 has the fix backported).
  const verdicts = JSON.parse(readFileSync(join(root, 'runtime', 'runc-checks.json'), 'utf8')) as Record<string, { leakFix: string; evidence: string }>;
  const verdict = verdicts[execFileSync('realpath', [REAL_RUNC]).toString().trim()];
  assert.equal(verdict?.leakFix, 'fixed');
  assert.equal(verdict?.evidence, "it refuses a working directory outside the container's root");
});

test('a runc that starts a container whose working directory is outside its root is refused: run and create exit 125 and create nothing', () => {
  const runc = fakeRunc('1.1.11', UNFIXED);
  const before = names();
  const expected = `Error: runc ${runc} (version 1.1.11, commit v1.1.11-0-gfa4e) lacks the fix for CVE-2024-21626 ("Leaky Vessels": a container could reach the host's files through a leaked file descriptor): it started a container whose working directory was outside the container's root\n`
    + 'Hint: upgrade runc to 1.1.12 or later (Debian 12: 1.1.5+ds1-1+deb12u1 or later), or give --runtime another OCI runtime\n';
  for (const command of [['run', '--rm'], ['create']]) {
    const r = strata(root, [...command, '--runtime', runc, BUSYBOX, 'true']);
    assert.equal(r.status, 125, command[0]);
    assert.equal(r.stderr, expected, command[0]);
    assert.equal(r.stdout, '');
  }
  assert.equal(names(), before, 'no container was created');
  // The runc on PATH is what info describes: it warns, and still exits 0.
  const info = strata(root, ['info'], { env: { PATH: `${join(runc, '..')}:${process.env['PATH'] ?? ''}` } });
  assert.equal(info.status, 0);
  assert.match(info.stdout, /\n runc version: v1\.1\.11-0-gfa4e\n/);
  assert.equal(info.stderr, `WARNING: ${expected.split('\n')[0]!.slice('Error: '.length)}; run and create refuse it\n`);
});

test('the verdict is kept per runc binary: probed once, and again when the binary changes', () => {
  const dir = tempDir();
  const runc = join(dir, 'runc');
  const log = join(dir, 'calls');
  // Logs each call and hands it to the real runc (so it passes the probe and runs containers).
  writeFileSync(runc, `#!/bin/sh\necho "$*" >> ${log}\nexec ${REAL_RUNC} "$@"\n`);
  chmodSync(runc, 0o755);
  const probes = (): number => readFileSync(log, 'utf8').split('\n').filter((l) => l.includes(' run --preserve-fds 1 ')).length;
  assert.equal(strataOk(root, ['run', '--rm', '--runtime', runc, BUSYBOX, 'echo', 'one']), 'one\n');
  assert.equal(strataOk(root, ['run', '--rm', '--runtime', runc, BUSYBOX, 'echo', 'two']), 'two\n');
  assert.equal(probes(), 1, 'the second run used the kept verdict');
  // The same path, another binary: probed again, and this one is refused.
  writeFakeRunc(runc, '1.1.11', `echo "$*" >> ${log}\n${UNFIXED}`);
  const r = strata(root, ['run', '--rm', '--runtime', runc, BUSYBOX, 'true']);
  assert.equal(r.status, 125);
  assert.match(r.stderr, /lacks the fix for CVE-2024-21626/);
  assert.equal(probes(), 2);
});

test('when the probe cannot tell, the version decides: before 1.1.12 refused, naming why; 1.1.12 accepted', () => {
  // `run` fails for a reason of its own; everything else (delete, state) works.
  const failing = 'case " $* " in *" run "*) echo "container_linux.go:380: starting container process caused: cgroups: cannot find cgroup mount destination" >&2; exit 1;; esac; exit 0';
  const old = fakeRunc('1.1.11', failing);
  const r = strata(root, ['create', '--runtime', old, BUSYBOX, 'true']);
  assert.equal(r.status, 125);
  assert.equal(r.stderr.split('\n')[0], `Error: runc ${old} (version 1.1.11, commit v1.1.11-0-gfa4e) could not be shown to have the fix for CVE-2024-21626 ("Leaky Vessels": a container could reach the host's files through a leaked file descriptor): version 1.1.11 predates 1.1.12, and the probe container did not start: container_linux.go:380: starting container process caused: cgroups: cannot find cgroup mount destination`);
  const fixed = fakeRunc('1.1.12', failing);
  const id = strataOk(root, ['create', '--runtime', fixed, BUSYBOX, 'true']).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  strataOk(root, ['rm', id]);
});
