/**
 * Files in and out of a container: `cp` both ways (plain paths and tar streams) and
 * `export` of the merged tree.
 *
 * Every container path is resolved inside the container, as the container would see it:
 * under the volume or bind mount that covers it, else in its root; symlinks are followed
 * inside that root (an absolute target restarts at it, `..` stops at it), so nothing
 * resolves outside. A path whose `..` climbs above `/` is refused. A running container is
 * frozen while its files are read or written, so its processes can't swap a directory for
 * a symlink under us (the attack of CVE-2018-15664). Writes into the container go through
 * diff/'s confined extractor: every entry lands inside the destination directory.
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, posix, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { applyLayer } from '../diff/index.ts';
import { errnoOf, failedPrecondition, fromSystemError, internal, invalidArgument, isOutOfSpace, notFound, StrataError } from '../errdefs/index.ts';
import { cleanComponents } from '../internal/index.ts';
import { resolveInRootfs } from '../runtime/index.ts';
import type { MountPoint } from './container-config.ts';
import type { Container } from './container.ts';
import type { ContainerFiles } from './rootfs.ts';

/** A container path mapped to the host. */
export interface ResolvedPath {
  /** Host path of the entry (its last component not followed unless asked). */
  host: string;
  /** The host directory everything resolved inside (the root, or a mount's source). */
  root: string;
  /** The clean container path. */
  path: string;
}

/**
 * Cleans a container path: relative paths are taken from `/`.
 * @throws invalid-argument when `..` would climb above the container's root.
 */
export function cleanContainerPath(raw: string): string {
  const parts = cleanComponents(raw);
  if (parts === undefined) throw invalidArgument(`invalid container path ${JSON.stringify(raw)}: it escapes the container's root`);
  return '/' + parts.join('/');
}

/** The volume or bind mount a clean container path lies in (the deepest), if any. */
function coveringMount(c: Container, path: string): MountPoint | undefined {
  let best: MountPoint | undefined;
  for (const m of c.stored.mounts) {
    if (m.Type === 'tmpfs') continue;
    if ((path === m.Destination || path.startsWith(`${m.Destination}/`)) && m.Destination.length > (best?.Destination.length ?? -1)) best = m;
  }
  return best;
}

/** Maps a container path to the host, through the mounts that cover it. */
export function resolveContainerPath(c: Container, rootfs: string, raw: string, options: { follow?: boolean } = {}): ResolvedPath {
  const path = cleanContainerPath(raw);
  const mount = coveringMount(c, path);
  const root = mount?.Source ?? rootfs;
  const rel = mount === undefined ? path : path.slice(mount.Destination.length) || '/';
  if (rel === '/') return { host: root, root, path };
  const host = resolveInRootfs(root, rel, { followLast: options.follow === true });
  if (!host.startsWith(root)) throw internal(`resolved ${path} outside the container's root`);
  return { host, root, path };
}

/**
 * Runs cp or tar. `writing` names what the command writes to on the host, so a full or
 * read-only disk is reported as the user's to fix (`copy to /mnt/x: no space left on
 * device`); other failures are bugs of ours.
 */
function run(command: string, args: string[], io: { input?: Readable; output?: Writable; writing?: string } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [io.input ? 'pipe' : 'ignore', io.output ? 'pipe' : 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    let outputError: Error | undefined;
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    if (io.input && child.stdin) io.input.pipe(child.stdin);
    const output = io.output;
    // An output that fails (a full disk) stops the child: else it would wait forever on a
    // pipe nobody reads, and the caller would never clean up.
    const onOutputError = (e: Error): void => {
      outputError ??= e;
      child.kill();
    };
    if (output && child.stdout) {
      child.stdout.pipe(output, { end: false });
      output.once('error', onOutputError);
    }
    child.once('error', (e) => reject(internal(`run ${command}: ${e.message}`)));
    child.once('close', (code) => {
      output?.off('error', onOutputError);
      if (outputError !== undefined) reject(outputError);
      else if (code === 0) resolve();
      else reject(commandError(command, args, Buffer.concat(err).toString('utf8').trim() || `exit ${code}`, io.writing));
    });
  });
}

/** How GNU tools word the errors of a destination the user can fix. */
const DESTINATION_ERRORS: [text: string, errno: string][] = [
  ['No space left on device', 'ENOSPC'],
  ['Disk quota exceeded', 'EDQUOT'],
  ['File too large', 'EFBIG'],
  ['Read-only file system', 'EROFS'],
];

function commandError(command: string, args: string[], stderr: string, writing: string | undefined): StrataError {
  const known = writing === undefined ? undefined : DESTINATION_ERRORS.find(([text]) => stderr.includes(text));
  if (known) return fromSystemError(Object.assign(new Error(stderr), { code: known[1] }), writing as string);
  return internal(`${command} ${args[0] ?? ''} failed: ${stderr}`);
}

export interface CopyOutOptions {
  /** `-L`: follow a symlink named as the source. */
  followLink?: boolean;
  /** `-a`: keep owners (the default makes the caller the owner). */
  archive?: boolean;
}

/**
 * `cp CONTAINER:SRC DEST`: copies a file or directory out, with docker's rules: a trailing
 * `/.` copies a directory's contents; an existing destination directory receives the
 * source under its own name; a directory never overwrites a file.
 * @throws not-found for a missing source or destination parent; invalid-argument for a
 *   directory onto a file or a path that escapes the root.
 */
export async function copyFromContainer(files: ContainerFiles, c: Container, src: string, dest: string, options: CopyOutOptions = {}): Promise<void> {
  checkCopyDestination(dest);
  const contents = /(^|\/)\.$/.test(src);
  const destIsDirSyntax = dest.endsWith('/') || /(^|\/)\.$/.test(dest);
  await files.withRootfs(c, (rootfs, status) => files.whilePaused(c, status, async () => {
    const source = resolveContainerPath(c, rootfs, src, { follow: options.followLink === true });
    const st = lstatOrUndefined(source.host);
    if (st === undefined) throw notFound(`Could not find the file ${source.path} in container ${c.name}`);
    const destSt = statOrUndefined(dest);
    if (destSt === undefined) {
      if (destIsDirSyntax && !st.isDirectory()) throw notFound(`destination directory ${dest} must exist`);
    } else if (st.isDirectory() && !destSt.isDirectory()) {
      throw invalidArgument(`cannot copy a directory to a file: ${dest}`);
    }
    const preserve = options.archive ? ['-a'] : ['-R', '--no-dereference', '--preserve=mode,timestamps,links'];
    let from = source.host;
    let to = dest;
    if (st.isDirectory() && contents) from = `${source.host}/.`;
    else if (destSt?.isDirectory() && options.followLink) to = join(dest, basename(source.path));
    // What the copy adds on the host: removed again when it fails half-way (a full disk).
    let landing = [to];
    if (destSt?.isDirectory()) {
      landing = st.isDirectory() && contents
        ? readdirSync(source.host).map((name) => join(dest, name))
        : [to === dest ? join(dest, basename(source.host)) : to];
    }
    const added = landing.filter((path) => lstatOrUndefined(path) === undefined);
    try {
      await run('cp', [...preserve, '--', from, to], { writing: `copy to ${dest}` });
    } catch (err) {
      removeAll(added);
      throw err;
    }
  }));
}

export interface CopyInOptions {
  /** `-a`: keep the source's owners (the default gives the container's root). */
  archive?: boolean;
  /** `-L`: follow a symlink named as the source. */
  followLink?: boolean;
}

/**
 * docker cp's check of a host destination, before anything is copied, in its words: its
 * directory must exist, and it must be a directory, a regular file or nothing. (docker lets
 * a FIFO or socket through; cp would wait forever on a FIFO with no reader, so strata
 * refuses them too.)
 */
function checkCopyDestination(dest: string): void {
  const path = resolve(dest);
  const dir = dirname(path);
  if (!existsSync(dir)) throw notFound(`invalid output path: directory ${JSON.stringify(dir)} does not exist`);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    throw fromSystemError(err, `stat ${path}`);
  }
  if (st.isDirectory() || st.isFile()) return;
  const got = st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'an irregular file';
  throw invalidArgument(`invalid output path: ${JSON.stringify(path)} must be a directory or a regular file: got ${got}`);
}

/**
 * `cp SRC CONTAINER:DEST`: copies a host file or directory in, with docker's rules (see
 * `copyFromContainer`). Without `archive`, what is copied belongs to root.
 */
export async function copyToContainer(files: ContainerFiles, c: Container, src: string, dest: string, options: CopyInOptions = {}): Promise<void> {
  let st = lstatOrUndefined(src);
  if (st === undefined) throw notFound(`stat ${src}: no such file or directory`);
  if (st.isSymbolicLink() && options.followLink) st = statSync(src);
  const contents = /(^|\/)\.$/.test(src);
  const srcPath = src.replace(/\/\.$/, '').replace(/\/+$/, '') || '/';
  await files.withRootfs(c, (rootfs, status) => files.whilePaused(c, status, async () => {
    checkWritable(c, dest);
    const target = resolveContainerPath(c, rootfs, dest, { follow: true });
    const targetSt = statOrUndefined(target.host);
    let extractDir: string;
    let tarArgs: string[];
    let storage = target.root;
    let names: string[];
    const owner = options.archive ? ['--numeric-owner'] : ['--owner=0', '--group=0', '--numeric-owner'];
    // -L follows the source itself, never the links inside it (as docker's cp): tar reads
    // what the link points to and names it as asked.
    const from = options.followLink && lstatSync(srcPath).isSymbolicLink() ? realpathSync(srcPath) : srcPath;
    const member = (as: string): string[] => {
      const base = basename(from);
      const rename = base === as ? [] : [`--transform=s,^${sedEscape(base)},${replacementEscape(as)},S`];
      return ['-C', dirname(from), ...rename, '--', base];
    };
    if (targetSt?.isDirectory()) {
      extractDir = target.host;
      names = st.isDirectory() && contents ? readdirSync(srcPath) : [basename(srcPath)];
      tarArgs = st.isDirectory() && contents ? ['-C', srcPath, '.'] : member(basename(srcPath));
    } else {
      if (targetSt !== undefined && st.isDirectory()) throw invalidArgument(`cannot copy a directory to a file: ${dest}`);
      if (dest.endsWith('/')) throw notFound(`destination directory ${dest} must exist`);
      const parent = resolveContainerPath(c, rootfs, posix.dirname(cleanContainerPath(dest)), { follow: true });
      if (!statOrUndefined(parent.host)?.isDirectory()) throw notFound(`Could not find the file ${posix.dirname(cleanContainerPath(dest))} in container ${c.name}`);
      extractDir = parent.host;
      storage = parent.root;
      const name = posix.basename(cleanContainerPath(dest));
      names = [name];
      tarArgs = st.isDirectory() && contents ? ['-C', srcPath, `--transform=s,^\\.,${replacementEscape(name)},S`, '.'] : member(name);
    }
    // What the copy adds (the container is frozen meanwhile): removed again when it fails half-way.
    const added = names.map((name) => join(extractDir, name)).filter((path) => lstatOrUndefined(path) === undefined);
    try {
      await extractTar([...owner, ...tarArgs], extractDir);
    } catch (err) {
      removeAll(added);
      throw namingStorage(err, `${c.name}:${dest}`, storage === rootfs ? files.writableLayersHome() : storage);
    }
  }));
}

/**
 * A copy into a container that ran out of space, named by the destination and the host
 * directory whose filesystem is full (the writable layers', or a volume's or bind's source).
 */
function namingStorage(err: unknown, destination: string, storage: string): unknown {
  if (!(err instanceof StrataError) || !isOutOfSpace(err)) return err;
  return new StrataError(err.code, `copy to ${destination}: write to ${storage}: ${err.message}`, { cause: err });
}

function removeAll(paths: readonly string[]): void {
  for (const path of paths) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // The copy's own error is the one to report.
    }
  }
}

/**
 * `cp - CONTAINER:DEST`: extracts a tar stream into a directory of the container.
 * @throws not-found when the destination isn't an existing directory.
 */
export async function extractToContainer(files: ContainerFiles, c: Container, input: Readable, dest: string): Promise<void> {
  await files.withRootfs(c, (rootfs, status) => files.whilePaused(c, status, async () => {
    checkWritable(c, dest);
    const target = resolveContainerPath(c, rootfs, dest, { follow: true });
    if (!statOrUndefined(target.host)?.isDirectory()) throw notFound(`Could not find the file ${target.path} in container ${c.name}: the destination must be an existing directory`);
    try {
      await applyLayer({ source: input, target: target.host, whiteouts: 'none', computeDiffId: false });
    } catch (err) {
      throw namingStorage(err, `${c.name}:${dest}`, target.root === rootfs ? files.writableLayersHome() : target.root);
    }
  }));
}

/** `cp CONTAINER:SRC -`: a tar stream of the source, named by its last component. */
export async function archiveFromContainer(files: ContainerFiles, c: Container, src: string, output: Writable, options: { followLink?: boolean } = {}): Promise<void> {
  await files.withRootfs(c, (rootfs, status) => files.whilePaused(c, status, async () => {
    const source = resolveContainerPath(c, rootfs, src, { follow: options.followLink === true });
    const st = lstatOrUndefined(source.host);
    if (st === undefined) throw notFound(`Could not find the file ${source.path} in container ${c.name}`);
    const contents = /(^|\/)\.$/.test(src) && st.isDirectory();
    const name = source.path === '/' ? '.' : posix.basename(source.path);
    const args = contents || source.path === '/'
      ? ['-C', source.host, '.']
      : ['-C', dirname(source.host), `--transform=s,^${sedEscape(basename(source.host))},${replacementEscape(name)},S`, '--', basename(source.host)];
    await run('tar', ['--numeric-owner', '--sort=name', '-cf', '-', ...args], { output });
  }));
}

/**
 * `export`: the container's merged tree as a tar stream (what its processes see of its
 * layers; volumes are not included, as docker's export leaves them out).
 */
export async function exportContainer(files: ContainerFiles, c: Container, output: Writable): Promise<void> {
  await files.withRootfs(c, async (rootfs) => {
    const names = readdirSync(rootfs).sort();
    if (names.length === 0) {
      await run('tar', ['-cf', '-', '--files-from', '/dev/null'], { output });
      return;
    }
    await run('tar', ['--numeric-owner', '--sort=name', '-C', rootfs, '-cf', '-', '--', ...names], { output });
  });
}

/**
 * Whether a container path may be written, as docker's checkWritablePath: in a mount when
 * the mount is read-write (the host's files behind a read-only one stay as they are), else
 * when the rootfs is.
 * @throws failed-precondition `mounted volume is marked read-only`, `container rootfs is marked read-only`.
 */
function checkWritable(c: Container, raw: string): void {
  const mount = coveringMount(c, cleanContainerPath(raw));
  if (mount !== undefined) {
    if (!mount.RW) throw failedPrecondition('mounted volume is marked read-only');
    return;
  }
  if (c.stored.run.readOnly) throw failedPrecondition('container rootfs is marked read-only');
}

/**
 * Extracts what `tar -c ARGS` writes into `dir`, as `cp` does: a plain archive, so `.wh.`
 * names are files. tar's status counts too: it may fail after writing all it could (or
 * nothing), and the copy must not then pass for done.
 */
async function extractTar(args: string[], dir: string): Promise<void> {
  const child = spawn('tar', ['-cf', '-', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const err: Buffer[] = [];
  child.stderr.on('data', (b: Buffer) => err.push(b));
  // Settles once tar is gone, with why it failed (never rejects: nobody may be awaiting it yet).
  const exited = new Promise<string | undefined>((resolve) => {
    child.once('error', (e) => resolve(`run tar: ${e.message}`));
    child.once('close', (code) => resolve(code === 0 ? undefined : `tar failed: ${Buffer.concat(err).toString('utf8').trim() || `exit ${code}`}`));
  });
  try {
    await applyLayer({ source: child.stdout, target: dir, whiteouts: 'none', computeDiffId: false });
  } catch (e) {
    child.kill();
    await exited;
    throw e;
  }
  const failure = await exited;
  if (failure !== undefined) throw internal(failure);
}

/** A literal for the pattern of tar's `--transform` (a sed-like basic regex, `,` delimited). */
function sedEscape(text: string): string {
  return text.replace(/[\\,.*[\]^$]/g, (ch) => `\\${ch}`);
}

/** A literal for the replacement of tar's `--transform`. */
function replacementEscape(text: string): string {
  return text.replace(/[\\,&]/g, (ch) => `\\${ch}`);
}

function lstatOrUndefined(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
