/**
 * `build` (also `image build`, `builder build`): reads the command line as docker's CLI does
 * (context directory, `-` for a Dockerfile or a tarball on stdin, `-f` anywhere, repeated
 * `-t`, `--build-arg`, `--label`, `--secret`), runs the build with BuildKit's progress
 * output on stderr, and prints the image ID with `-q`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { invalidArgument, isStrataError, StrataError, unimplemented } from '../../errdefs/index.ts';
import { familiarString, hostPlatform, parsePlatform, parseReference, type Reference } from '../../oci/index.ts';
import type { BuildHost, ContextInput, DockerfileInput, SecretSource } from '../../builder/index.ts';
import type { CliContext } from '../context.ts';
import { prepareIidFile, writeIidFile } from './iid-file.ts';
import type { Options } from '../spec.ts';

function list(options: Options, name: string): string[] {
  const v = options[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** `-t` values, checked as docker checks them before anything runs. */
export function parseTags(values: readonly string[]): Reference[] {
  return values.map((t) => {
    let ref: Reference;
    try {
      ref = parseReference(t);
    } catch {
      throw invalidArgument(`invalid argument "${t}" for "-t, --tag" flag: invalid reference format`);
    }
    if (ref.digest !== undefined) throw invalidArgument(`invalid argument "${t}" for "-t, --tag" flag: a tag cannot be a digest reference`);
    return ref;
  });
}

/** `--build-arg K=V` (or a bare `K`: its value from the environment, left out when unset). */
export function parseBuildArgs(values: readonly string[], env: NodeJS.ProcessEnv = process.env): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq === 0) throw invalidArgument(`invalid argument "${v}" for "--build-arg" flag: the name is empty`);
    if (eq < 0) {
      const fromEnv = env[v];
      if (fromEnv !== undefined) out.set(v, fromEnv);
      continue;
    }
    out.set(v.slice(0, eq), v.slice(eq + 1));
  }
  return out;
}

/** `--secret id=x,src=path` / `id=x,env=VAR` / `id=x` (the env var of that name). */
export function parseSecrets(values: readonly string[]): Map<string, SecretSource> {
  const out = new Map<string, SecretSource>();
  for (const value of values) {
    let id: string | undefined;
    let src: string | undefined;
    let env: string | undefined;
    let type: string | undefined;
    for (const field of value.split(',')) {
      const eq = field.indexOf('=');
      const k = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
      const v = eq < 0 ? '' : field.slice(eq + 1);
      if (k === 'id') id = v;
      else if (k === 'src' || k === 'source') src = v;
      else if (k === 'env') env = v;
      else if (k === 'type') type = v;
      else throw invalidArgument(`invalid argument "${value}" for "--secret" flag: unexpected key '${k}' in '${field}'`);
    }
    if (type !== undefined && type !== 'file' && type !== 'env') throw invalidArgument(`invalid argument "${value}" for "--secret" flag: unsupported secret type "${type}"`);
    if (id === undefined || id === '') id = src ?? env;
    if (id === undefined || id === '') throw invalidArgument(`invalid argument "${value}" for "--secret" flag: secret ID missing`);
    if (src !== undefined || type === 'file') {
      const file = src ?? id;
      if (!existsSync(file)) throw invalidArgument(`invalid argument "${value}" for "--secret" flag: open ${file}: no such file or directory`);
      out.set(id, { file: resolve(file) });
    } else {
      out.set(id, { env: env ?? id });
    }
  }
  return out;
}

function parseHosts(values: readonly string[]): { name: string; ip: string }[] {
  return values.map((v) => {
    const i = v.indexOf(':');
    if (i <= 0) throw invalidArgument(`invalid argument "${v}" for "--add-host" flag: bad format for add-host: "${v}"`);
    return { name: v.slice(0, i), ip: v.slice(i + 1) };
  });
}

const ARCHIVE_MAGIC: Buffer[] = [Buffer.from([0x1f, 0x8b]), Buffer.from('BZh'), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.from([0x28, 0xb5, 0x2f, 0xfd])];

function looksLikeTar(head: Buffer): boolean {
  if (ARCHIVE_MAGIC.some((m) => head.length >= m.length && head.subarray(0, m.length).equals(m))) return true;
  if (head.length < 512) return false;
  const stored = parseInt(head.subarray(148, 156).toString('latin1').replace(/\0.*$/, '').trim(), 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (head[i] as number);
  return !Number.isNaN(stored) && stored === sum;
}

/** Reads stdin up to `n` bytes (or its end); returns what it read and the rest of the stream. */
async function peekStdin(n: number): Promise<{ head: Buffer; rest: AsyncIterator<Buffer> }> {
  const it = (process.stdin as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < n) {
    const r = await it.next();
    if (r.done === true) break;
    chunks.push(r.value);
    size += r.value.length;
  }
  return { head: Buffer.concat(chunks), rest: it };
}

async function* joined(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  for (;;) {
    const r = await rest.next();
    if (r.done === true) return;
    yield r.value;
  }
}

async function readRest(head: Buffer, rest: AsyncIterator<Buffer>): Promise<Buffer> {
  const chunks = [head];
  for (;;) {
    const r = await rest.next();
    if (r.done === true) break;
    chunks.push(r.value);
  }
  return Buffer.concat(chunks);
}

function readDockerfileFile(path: string, display: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw invalidArgument(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${display}: no such file or directory`);
    if (code === 'EISDIR') throw invalidArgument(`unable to prepare context: ${display} is a directory`);
    throw invalidArgument(`unable to read Dockerfile ${display}: ${(err as Error).message}`);
  }
}

/** Decides the context and the Dockerfile from the PATH argument, `-f` and stdin. */
async function contextAndDockerfile(target: string, file: string | undefined): Promise<{ context: ContextInput; dockerfile: DockerfileInput }> {
  if (/^(https?|git):\/\//.test(target) || target.startsWith('git@') || target.startsWith('github.com/')) {
    throw unimplemented(`remote build contexts (${target}) are not supported`, { hint: 'download or clone the context and build from the directory' });
  }
  if (target === '-') {
    if (file === '-') throw invalidArgument('invalid argument: can\'t use stdin for both build context and dockerfile');
    const { head, rest } = await peekStdin(512);
    if (looksLikeTar(head)) {
      return { context: { kind: 'tar', source: Readable.from(joined(head, rest)) }, dockerfile: { kind: 'in-context', path: file ?? 'Dockerfile' } };
    }
    const text = await readRest(head, rest);
    return { context: { kind: 'none' }, dockerfile: { kind: 'text', text, name: 'Dockerfile' } };
  }
  const dir = resolve(target);
  if (!existsSync(dir)) throw invalidArgument(`unable to prepare context: path "${target}" not found`);
  if (file === '-') {
    const text = await readRest(Buffer.alloc(0), (process.stdin as AsyncIterable<Buffer>)[Symbol.asyncIterator]());
    return { context: { kind: 'dir', dir }, dockerfile: { kind: 'text', text, name: 'Dockerfile' } };
  }
  let path: string;
  let name: string;
  if (file === undefined) {
    path = join(dir, 'Dockerfile');
    // docker's fallback for a lower-case file name.
    if (!existsSync(path) && existsSync(join(dir, 'dockerfile'))) path = join(dir, 'dockerfile');
    name = 'Dockerfile';
  } else {
    path = isAbsolute(file) ? file : resolve(file);
    name = file.split('/').pop() ?? file;
  }
  const text = readDockerfileFile(path, path);
  return { context: { kind: 'dir', dir }, dockerfile: { kind: 'text', text, name, path } };
}

function sourceDateEpoch(buildArgs: Map<string, string>): number | undefined {
  const raw = buildArgs.get('SOURCE_DATE_EPOCH') ?? process.env['SOURCE_DATE_EPOCH'];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw invalidArgument(`invalid SOURCE_DATE_EPOCH "${raw}": expected seconds since the epoch`);
  return Number(raw);
}

export async function build(ctx: CliContext, args: string[], options: Options): Promise<number> {
  for (const flag of ['ssh', 'cache-from', 'cache-to', 'output', 'squash'] as const) {
    const v = options[flag];
    if (v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0)) {
      throw unimplemented(`--${flag} is not supported by strata's builder`, flag === 'ssh' ? { hint: 'pass credentials with --secret instead' } : {});
    }
  }
  const quiet = Boolean(options['quiet']);
  const tags = parseTags(list(options, 'tag'));
  const buildArgs = parseBuildArgs(list(options, 'build-arg'));
  const labels: Record<string, string> = {};
  for (const l of list(options, 'label')) {
    const eq = l.indexOf('=');
    labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  const platform = options['platform'] as string | undefined;
  if (platform !== undefined && platform !== '') {
    const host = hostPlatform();
    for (const spec of platform.split(',')) {
      const p = parsePlatform(spec.trim());
      if (p.os !== host.os || p.architecture !== host.architecture || (p.variant ?? '') !== (host.variant ?? '')) {
        throw invalidArgument(`strata builds only for the native platform (${host.os}/${host.architecture}), not ${spec.trim()}`, {
          hint: 'strata has no emulation for other architectures: build on a machine of that platform',
        });
      }
    }
  }
  // Unlike docker's, the host's network unless asked: the default bridge costs every RUN a network setup.
  const network = (options['network'] as string | undefined) ?? 'host';
  if (!['default', 'host', 'none', 'bridge'].includes(network)) {
    throw invalidArgument(`network mode "${network}" not supported by strata's builder: use default (or bridge), host or none`);
  }
  const secrets = parseSecrets(list(options, 'secret'));
  const extraHosts = parseHosts(list(options, 'add-host'));
  const epoch = sourceDateEpoch(buildArgs);
  if (epoch !== undefined) process.env['SOURCE_DATE_EPOCH'] = String(epoch);

  const { build: runBuild, Progress, progressMode, BuildError, formatBuildFailure } = await import('../../builder/index.ts');
  let mode;
  try {
    mode = progressMode(options['progress'] as string | undefined, quiet, ctx.stderr.isTTY === true);
  } catch {
    throw invalidArgument(`invalid progress mode "${String(options['progress'])}": use auto, plain, tty or quiet`);
  }
  const { context, dockerfile } = await contextAndDockerfile(args[0] as string, options['file'] as string | undefined);
  const iidfile = options['iidfile'] as string | undefined;
  if (iidfile !== undefined && iidfile !== '') prepareIidFile(iidfile);
  const engine = await ctx.engine();
  let registriesOpened: { close: () => Promise<void> } | undefined;
  // A base image that is missing is pulled (registries opened then, closed when the build ends).
  const host: BuildHost = engine.buildHost(async (ref) => {
    const { pullImage, openRegistries, loadRegistrySettings } = await import('../../registry/index.ts');
    const registries = openRegistries({ settings: loadRegistrySettings() });
    registriesOpened = registries;
    const result = await pullImage(engine, ref, { registries });
    const image = result.images[0];
    if (image === undefined) throw new StrataError('not-found', `pull of ${ref.path} gave no image`);
    engine.events.append('image', 'pull', familiarString(image.reference), { name: familiarString(image.reference) });
    return image.id;
  });
  const progress = new Progress({ mode, out: ctx.stderr, columns: ctx.stderr.columns ?? 80 });
  const signal = ctx.interruptSignal();
  try {
    const result = await runBuild(host, {
      context, dockerfile, buildArgs, tags, labels, progress, signal,
      target: options['target'] as string | undefined,
      noCache: Boolean(options['no-cache']),
      noCacheFilter: list(options, 'no-cache-filter').flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== ''),
      pull: Boolean(options['pull']),
      network: network === 'bridge' ? 'default' : (network as 'default' | 'host' | 'none'),
      secrets, extraHosts,
      ...(epoch !== undefined ? { sourceDateEpoch: epoch } : {}),
    });
    progress.finish();
    engine.events.append('image', 'build', result.imageId);
    for (const tag of result.tags) engine.events.append('image', 'tag', result.imageId, { name: tag });
    if (mode !== 'quiet' && result.warnings.length > 0) {
      // BuildKit's summary of its build checks.
      const n = result.warnings.length;
      ctx.stderr.write(`\n ${n} warning${n === 1 ? '' : 's'} found:\n`);
      for (const w of result.warnings) ctx.stderr.write(` - ${w.rule}: ${w.message} (line ${w.line})\n`);
    }
    if (iidfile !== undefined && iidfile !== '') writeIidFile(iidfile, result.imageId);
    if (quiet) ctx.println(result.imageId);
    return 0;
  } catch (err) {
    progress.finish();
    if (signal.aborted) {
      // What BuildKit says, and its status whichever signal it was (buildx exits 130 for a cancel).
      ctx.stderr.write('ERROR: failed to solve: Canceled: context canceled\n');
      return 130;
    }
    if (err instanceof BuildError) {
      const report = formatBuildFailure(err);
      if (report !== '') ctx.stderr.write(`${report}\n`);
      ctx.stderr.write(`ERROR: failed to solve: ${err.message}\n`);
      if (err.hint) ctx.stderr.write(`Hint: ${err.hint}\n`);
      return err.code === 'canceled' ? 130 : 1;
    }
    if (isStrataError(err)) throw err;
    throw err;
  } finally {
    await registriesOpened?.close();
  }
}
