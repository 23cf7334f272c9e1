// Shared by the containers and volumes end-to-end tests: a scratch store with a busybox
// image made by `import` (Debian's static busybox, `--install -s`, a passwd and group file,
// /tmp), the CLI run against it, and checks on what the kernel has mounted.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after } from 'node:test';
import { join } from 'node:path';
import { STRATA_BIN, strata, strataOk, type CliResult } from '../helpers/strata-cli.ts';

export { strata, strataOk, STRATA_BIN, type CliResult };

export const BUSYBOX = 'ctest/busybox:1';

/** A busybox root filesystem tree in `dir`. */
export function busyboxTree(dir: string): string {
  const root = join(dir, 'rootfs');
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'etc'));
  mkdirSync(join(root, 'tmp'), { mode: 0o1777 });
  copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
  execFileSync('chroot', [root, '/bin/busybox', '--install', '-s', '/bin']);
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\nalice:x:1000:\nstaff:x:50:alice\n');
  writeFileSync(join(root, 'etc', 'image-file'), 'from the image\n');
  return root;
}

/**
 * A fresh store holding `ctest/busybox:1` (CMD ["/bin/sh"]). When the test file ends, its
 * containers are removed (so no process or mount outlives the test), then the directory.
 */
export function storeWithBusybox(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-ctr-'));
  const root = join(dir, 'store');
  after(() => {
    try {
      removeAll(root);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  const tree = busyboxTree(dir);
  const tar = join(dir, 'rootfs.tar');
  execFileSync('tar', ['-C', tree, '-cf', tar, '.']);
  strataOk(root, ['import', '-c', 'CMD ["/bin/sh"]', tar, BUSYBOX]);
  return root;
}

/** Removes every container of a store (so a test file leaves no process or mount behind). */
export function removeAll(root: string): void {
  const ids = strataOk(root, ['ps', '-aq', '--no-trunc']).split('\n').filter(Boolean);
  if (ids.length > 0) strata(root, ['rm', '-f', '-v', ...ids]);
}

/** Mount points under `path`, from the kernel's table. */
export function mountsUnder(path: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === path || p.startsWith(`${path}/`));
}

/** Runs the CLI in the background; resolves with its result once it exits. */
export function strataAsync(root: string, args: string[], options: { input?: string } = {}): { pid: number; done: Promise<CliResult>; kill(sig: NodeJS.Signals): void; stdout(): string } {
  const child = spawn(STRATA_BIN, args, { env: { ...process.env, STRATA_ROOT: root }, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.end(options.input ?? '');
  const done = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => resolve({ status: code ?? (signal === 'SIGKILL' ? 137 : 128), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
  return { pid: child.pid ?? 0, done, kill: (sig) => child.kill(sig), stdout: () => Buffer.concat(out).toString() };
}

/** Polls until `check` returns a value, or throws after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether runc and the tools the container tests need are here (they are on the project's machines). */
export function canRunContainers(): boolean {
  return process.getuid?.() === 0 && spawnSync('runc', ['--version']).status === 0;
}
