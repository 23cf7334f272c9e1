/** The writable layer: `diff`, `commit`, `cp` and `export`. */
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { fromSystemError, invalidArgument } from '../../errdefs/index.ts';
import { parseReference, withDefaultTag } from '../../oci/index.ts';
import type { ContainerManager } from '../../containers/index.ts';
import type { CliContext } from '../context.ts';
import type { Options } from '../spec.ts';

async function manager(ctx: CliContext): Promise<ContainerManager> {
  return (await ctx.engine()).containers();
}

export async function diff(ctx: CliContext, args: string[]): Promise<void> {
  const containers = await manager(ctx);
  const c = containers.find(args[0] as string);
  const { overlayChanges, treeChanges } = await import('../../containers/index.ts');
  const s = containers.snapshotter;
  const upper = s.stat(c.id);
  const init = s.stat(`${c.id}-init`);
  if (!upper || !init) return;
  const changes = s.driver === 'overlay'
    ? overlayChanges(s.fsDir(upper), s.chain(init.key).map((r) => s.fsDir(r)))
    : treeChanges(s.fsDir(upper), s.fsDir(init));
  ctx.write(changes.map((ch) => `${ch.kind} ${ch.path}\n`).join(''));
}

export async function commit(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const engine = await ctx.engine();
  const { configChanges } = await import('../../builder/config-changes.ts');
  const { commitContainer } = await import('../../containers/index.ts');
  const containers = await engine.containers();
  const [ref, repository] = args as [string, string | undefined];
  const tag = repository ? withDefaultTag(parseReference(repository)) : undefined;
  const changes = (options['change'] as string[] | undefined) ?? [];
  const applyChanges = changes.length > 0 ? configChanges(changes) : undefined;
  const c = containers.find(ref);
  const id = await commitContainer(containers, c, {
    ...(tag ? { tag } : {}),
    ...(options['message'] ? { message: options['message'] as string } : {}),
    ...(options['author'] ? { author: options['author'] as string } : {}),
    ...(applyChanges ? { applyChanges } : {}),
    pause: options['pause'] !== false,
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
  if (src.container !== undefined) {
    const c = containers.find(src.container);
    if (src.path === '') throw invalidArgument('filepath of the source cannot be empty');
    if (dest.path === '-') {
      await copy.archiveFromContainer(containers, c, src.path, ctx.stdout, { followLink: follow });
      return;
    }
    await copy.copyFromContainer(containers, c, src.path, dest.path, { followLink: follow, archive });
    if (!options['quiet'] && process.stderr.isTTY) ctx.warn(`Successfully copied to ${dest.path}`);
    return;
  }
  const c = containers.find(dest.container as string);
  if (dest.path === '') throw invalidArgument('filepath of the destination cannot be empty');
  if (src.path === '-') {
    await copy.extractToContainer(containers, c, process.stdin, dest.path);
    return;
  }
  await copy.copyToContainer(containers, c, src.path, dest.path, { followLink: follow, archive });
  if (!options['quiet'] && process.stderr.isTTY) ctx.warn(`Successfully copied to ${destArg}`);
}

export async function exportContainer(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const outputPath = options['output'] as string | undefined;
  if (!outputPath && process.stdout.isTTY) throw invalidArgument('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const containers = await manager(ctx);
  const c = containers.find(args[0] as string);
  const { exportContainer: exportTree } = await import('../../containers/index.ts');
  if (!outputPath) {
    await exportTree(containers, c, ctx.stdout);
    return;
  }
  const tmp = join(dirname(outputPath), `.${basename(outputPath)}.strata-tmp`);
  let out: Writable;
  try {
    out = createWriteStream(tmp);
  } catch (err) {
    throw fromSystemError(err, `create ${outputPath}`);
  }
  try {
    await exportTree(containers, c, out);
    out.end();
    await finished(out);
    renameSync(tmp, outputPath);
  } catch (err) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw err;
  }
}
