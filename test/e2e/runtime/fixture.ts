// A busybox rootfs made by hand (Debian's static busybox, `busybox --install -s`, our own
// passwd and group), a runc state root and a supervisor binary, in a temp dir per test file.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBundle, type Bundle } from '../../../src/runtime/bundle.ts';
import { probeHost } from '../../../src/runtime/host-info.ts';
import { OciRuntime } from '../../../src/runtime/runc.ts';
import type { RunOptions } from '../../../src/runtime/run-options.ts';
import { ensureShim } from '../../../src/runtime/shim-path.ts';
import { oomCounterFile, startContainer, type StartContainerOptions, type StartedContainer } from '../../../src/runtime/supervisor.ts';
import type { ImageRunConfig } from '../../../src/runtime/image-config.ts';

export const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'alice:x:1000:1000:Alice:/home/alice:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
].join('\n') + '\n';
export const GROUP = ['root:x:0:', 'tty:x:5:', 'wheel:x:10:alice', 'alice:x:1000:', 'staff:x:50:alice', 'nogroup:x:65534:'].join('\n') + '\n';

export interface Fixture {
  dir: string;
  rootfs: string;
  runtime: OciRuntime;
  shim: string;
  newId(): string;
  /** A fresh container directory (bundle + state + log). */
  containerDir(id: string): string;
  bundle(id: string, options: Omit<RunOptions, 'id'>, image?: ImageRunConfig): Bundle & { containerDir: string };
  /** Bundle + start; foreground output captured through pipes. */
  run(options: Omit<RunOptions, 'id'>, start?: Partial<StartContainerOptions> & { input?: string }, image?: ImageRunConfig): Promise<RunResult>;
  start(options: Omit<RunOptions, 'id'>, start?: Partial<StartContainerOptions>, image?: ImageRunConfig): Promise<StartedContainer & { containerDir: string; bundle: Bundle }>;
  cleanup(): Promise<void>;
}

export interface RunResult {
  id: string;
  containerDir: string;
  exitCode: number;
  oomKilled: boolean;
  stdout: string;
  stderr: string;
}

/** Busybox rootfs shared by one test file's containers (they don't write to it, except under /tmp and -w). */
export function makeRootfs(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  mkdirSync(join(rootfs, 'etc'));
  mkdirSync(join(rootfs, 'tmp'), { mode: 0o1777 });
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  execFileSync('chroot', [rootfs, '/bin/busybox', '--install', '-s', '/bin']);
  writeFileSync(join(rootfs, 'etc', 'passwd'), PASSWD);
  writeFileSync(join(rootfs, 'etc', 'group'), GROUP);
  return rootfs;
}

export function makeFixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'strata-rt-e2e-'));
  const rootfs = makeRootfs(dir);
  const runtime = OciRuntime.locate({ root: join(dir, 'runc') });
  const shim = ensureShim(join(tmpdir(), 'strata-test-shim'), { fromSource: true });
  const host = probeHost();
  const ids: string[] = [];
  const f: Fixture = {
    dir, rootfs, runtime, shim,
    newId() {
      const id = randomBytes(32).toString('hex');
      ids.push(id);
      return id;
    },
    containerDir(id) {
      const d = join(dir, 'containers', id);
      mkdirSync(d, { recursive: true });
      return d;
    },
    bundle(id, options, image = { Cmd: ['sh'] }) {
      const containerDir = f.containerDir(id);
      return { ...createBundle({ bundleDir: containerDir, rootfs, image, options: { ...options, id }, host }), containerDir };
    },
    async start(options, start = {}, image) {
      const id = f.newId();
      const bundle = f.bundle(id, options, image);
      const started = await startContainer({
        runtime, id, bundleDir: bundle.containerDir, containerDir: bundle.containerDir, shim, tty: options.tty ?? false,
        oomFile: oomCounterFile(host, bundle.spec.linux.cgroupsPath as string), ...start,
      });
      return { ...started, containerDir: bundle.containerDir, bundle };
    },
    async run(options, start = {}, image) {
      const { input, ...rest } = start;
      const c = await f.start(options, { stdio: ['pipe', 'pipe', 'pipe'], stdin: input !== undefined, ...rest }, image);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      c.stdout?.on('data', (b: Buffer) => out.push(b));
      c.stderr?.on('data', (b: Buffer) => err.push(b));
      if (input !== undefined) c.stdin?.end(input);
      const closed = (s: NodeJS.ReadableStream | null | undefined): Promise<void> =>
        s ? new Promise((r) => { s.once('close', () => r()); }) : Promise.resolve();
      const exit = await c.wait();
      // The shim wrote all output before reporting the exit; wait until it has all arrived.
      await Promise.all([closed(c.stdout), closed(c.stderr)]);
      return {
        id: c.id, containerDir: c.containerDir, exitCode: exit.exitCode, oomKilled: exit.oomKilled,
        stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'),
      };
    },
    async cleanup() {
      for (const id of ids) await runtime.delete(id, { force: true }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return f;
}

export { eventually } from '../../helpers/eventually.ts';

export function mountsUnder(path: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(path));
}
