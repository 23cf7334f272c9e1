/** The writable layer: `diff`, `commit`, `cp` and `export`. */
import type { Writable } from 'node:stream';
import { invalidArgument } from '../../errdefs/index.ts';
import { checkOutputFile, writeOutputFile, writeToStream } from '../../internal/index.ts';
import { parseReference, withDefaultTag } from '../../oci/index.ts';
import type { ContainerManager } from '../../containers/index.ts';
import type { CliContext } from '../context.ts';
import { destroyOnAbort, stoppable } from '../interrupt.ts';
import type { Options } from '../spec.ts';

async function manager(ctx: CliContext): Promise<ContainerManager> {
  return (await ctx.engine()).containers();
}

export async function diff(ctx: CliContext, args: string[]): Promise<void> {
  const containers = await manager(ctx);
  const c = containers.find(args[0] as string);
  const changes = await containers.changes(c);
  ctx.write(changes.map((ch) => `${ch.kind} ${ch.path}\n`).join(''));
}

export async function commit(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const engine = await ctx.engine();
  const { configChanges } = await import('../../builder/config-changes.ts');
  const containers = await engine.containers();
  const [ref, repository] = args as [string, string | undefined];
  const tag = repository ? withDefaultTag(parseReference(repository)) : undefined;
  const changes = (options['change'] as string[] | undefined) ?? [];
  const applyChanges = changes.length > 0 ? configChanges(changes) : undefined;
  const c = containers.find(ref);
  const id = await containers.commit(c, {
    ...(tag ? { tag } : {}),
    ...(options['message'] ? { message: options['message'] as string } : {}),
    ...(options['author'] ? { author: options['author'] as string } : {}),
    ...(applyChanges ? { applyChanges } : {}),
    pause: options['pause'] !== false,
    signal: ctx.interruptSignal(),
  });
  ctx.println(id);
}

/** `CONTAINER:PATH` → its parts; a bare path is a local one. docker treats a leading `/` or `.` as local. */
function splitCopyArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.') || arg === '-') return { path: arg };
  const colon = arg.indexOf(':');
  if (colon <= 0) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

export async function cp(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const [srcArg, destArg] = args as [string, string];
  const src = splitCopyArg(srcArg);
  const dest = splitCopyArg(destArg);
  if (src.container !== undefined && dest.container !== undefined) throw invalidArgument('copying between containers is not supported');
  if (src.container === undefined && dest.container === undefined) throw invalidArgument('must specify at least one container source');
  const containers = await manager(ctx);
  const copy = await import('../../containers/index.ts');
  const follow = Boolean(options['follow-link']);
  const archive = Boolean(options['archive']);
  // Ctrl-C ends a copy through a tar stream at once; the container is thawed and unmounted
  // on the way out. (A copy between paths runs to its end, unless Ctrl-C stops its helper.)
  const signal = ctx.interruptSignal();
  if (src.container !== undefined) {
    const c = containers.find(src.container);
    if (src.path === '') throw invalidArgument('filepath of the source cannot be empty');
    if (dest.path === '-') {
      await writeToStream(ctx.stdout, '/dev/stdout', stoppable(signal, (out) => copy.archiveFromContainer(containers, c, src.path, out, { followLink: follow })));
      return;
    }
    await copy.copyFromContainer(containers, c, src.path, dest.path, { followLink: follow, archive });
    if (!options['quiet'] && process.stderr.isTTY) ctx.warn(`Successfully copied to ${dest.path}`);
    return;
  }
  const c = containers.find(dest.container as string);
  if (dest.path === '') throw invalidArgument('filepath of the destination cannot be empty');
  if (src.path === '-') {
    const release = destroyOnAbort(process.stdin, signal);
    try {
      await copy.extractToContainer(containers, c, process.stdin, dest.path);
    } finally {
      release();
    }
    return;
  }
  await copy.copyToContainer(containers, c, src.path, dest.path, { followLink: follow, archive });
  if (!options['quiet'] && process.stderr.isTTY) ctx.warn(`Successfully copied to ${destArg}`);
}

export async function exportContainer(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const outputPath = options['output'] as string | undefined;
  if (!outputPath && process.stdout.isTTY) throw invalidArgument('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  // As docker, a bad output path is refused before the container is looked up.
  if (outputPath) checkOutputFile(outputPath, 'failed to export container');
  const containers = await manager(ctx);
  const c = containers.find(args[0] as string);
  const { exportContainer: exportTree } = await import('../../containers/index.ts');
  const write = stoppable(ctx.interruptSignal(), (out: Writable): Promise<void> => exportTree(containers, c, out));
  if (outputPath) await writeOutputFile(outputPath, 'failed to export container', write);
  else await writeToStream(ctx.stdout, '/dev/stdout', write);
}
