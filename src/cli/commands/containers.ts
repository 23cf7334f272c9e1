/**
 * The container commands that list, inspect and control containers: `ps`, `inspect`,
 * `logs`, `top`, `stop`, `kill`, `restart`, `wait`, `pause`, `unpause`, `rm`, `rename`,
 * `container prune`, with docker's output and messages.
 */
import { goStruct, goTimeString, quoteString, toGoTime } from '@strata/go-template';
import { errnoOf, invalidArgument, isStrataError, StrataError } from '../../errdefs/index.ts';
import type { ImageStore } from '../../images/index.ts';
// The modules `ps`, `logs` and the like need, not containers/index.ts: commit, copy and diff
// (tar codec, layer apply) stay unloaded until a command uses them.
import { commandLine } from '../../containers/container-config.ts';
import { containerFilter, PS_FILTERS } from '../../containers/filters.ts';
import { imageShown } from '../../containers/image-shown.ts';
import { statusText } from '../../containers/state.ts';
import { waitFor } from '../../containers/wait.ts';
import type { Container, ContainerListing, ContainerManager } from '../../containers/index.ts';
import { networkNames, portsText } from '../../containers/index.ts';
import { formatLogEntry, parseLogTime, readLogs } from '../../runtime/index.ts';
import { renderList, type ListRow } from '../format/render.ts';
import { columns } from '../format/columns.ts';
import { humanSize4, humanSizeWithPrecision } from '../format/size.ts';
import { timeAgo } from '../format/duration.ts';
import { ellipsis, truncateId } from '../format/display.ts';
import { TabWriter } from '../format/tabwriter.ts';
import { parseFilters } from '../filters.ts';
import { removeCommandFor } from './container-hooks.ts';
import { confirm } from '../confirm.ts';
import { printInspect } from '../inspect-output.ts';
import type { CliContext } from '../context.ts';
import type { Options } from '../spec.ts';

async function manager(ctx: CliContext): Promise<ContainerManager> {
  const engine = await ctx.engine();
  return engine.containers();
}

/**
 * Runs `fn` for each named container as docker's multi-container commands do: all at once
 * (at most 50 in flight), then, in the order given, the name of each that succeeded or
 * `Error: …` for each that failed; exits 1 if any failed.
 */
async function eachContainer(ctx: CliContext, refs: string[], fn: (c: Container, ref: string) => Promise<void>, errorPrefix = (_ref: string) => ''): Promise<number> {
  const containers = await manager(ctx);
  const results: Array<Promise<StrataError | undefined>> = [];
  const limit = 50;
  let running = 0;
  const waiters: Array<() => void> = [];
  const slot = async (): Promise<void> => {
    while (running >= limit) await new Promise<void>((r) => waiters.push(r));
    running++;
  };
  for (const ref of refs) {
    results.push((async (): Promise<StrataError | undefined> => {
      await slot();
      try {
        await fn(containers.find(ref), ref);
        return undefined;
      } catch (err) {
        if (!isStrataError(err)) throw err;
        return err;
      } finally {
        running--;
        waiters.shift()?.();
      }
    })());
  }
  let failed = false;
  for (const [i, result] of results.entries()) {
    const err = await result;
    if (err === undefined) ctx.println(refs[i] as string);
    else {
      ctx.warn(`Error: ${errorPrefix(refs[i] as string)}${err.message}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

// ---------- ps ----------

/** The IMAGE column: the name given at create, or the short ID once that name means another image. */
function imageColumn(images: ImageStore, c: Container, trunc: boolean): string {
  const shown = imageShown(images, c);
  return shown === c.imageId && trunc ? truncateId(shown) : shown;
}

function psRow(containers: ContainerManager, images: ImageStore, r: ContainerListing, trunc: boolean, now: number): ListRow {
  const { container: c, status } = r;
  const created = Date.parse(c.created);
  const labels = c.stored.config.Labels;
  let size: string | undefined;
  return {
    ID: () => (trunc ? truncateId(c.id) : c.id),
    Names: () => c.name,
    Image: () => imageColumn(images, c, trunc),
    Command: () => {
      const cmd = commandLine(c.stored);
      return quoteString(trunc ? ellipsis(cmd, 20) : cmd);
    },
    CreatedAt: () => goTimeString(toGoTime(created)),
    RunningFor: () => timeAgo(created, now),
    Ports: () => portsText(c, status.Running),
    State: () => status.Status,
    Status: () => statusText(status, now),
    Size: () => {
      if (size === undefined) {
        const rw = containers.sizeRw(c);
        size = `${humanSizeWithPrecision(rw, 3)} (virtual ${humanSizeWithPrecision(rw + containers.imageSize(c), 3)})`;
      }
      return size;
    },
    Labels: () => Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(','),
    Label: (name: string) => labels[name] ?? '',
    Mounts: () => c.stored.mounts.map((m) => {
      const name = m.Name ?? m.Source;
      return trunc ? ellipsis(name, 15) : name;
    }).join(','),
    LocalVolumes: () => String(c.stored.mounts.filter((m) => m.Type === 'volume').length),
    Networks: () => networkNames(c).join(','),
    Platform: () => 'linux',
  };
}

export async function ps(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  const containers = await manager(ctx);
  const { images } = await ctx.engine();
  const filters = parseFilters(options['filter'] as string[]);
  let last = (options['last'] as number | undefined) ?? -1;
  if (options['latest']) last = 1;
  const all = Boolean(options['all']) || last > 0;
  const pick = containerFilter(filters, { accepted: PS_FILTERS, find: (ref) => containers.find(ref), imageId: (ref) => images.lookup(ref) });
  let rows = pick(await containers.list({ all: true }));
  if (!all && !filters.has('status') && !filters.has('exited')) rows = rows.filter((r) => r.status.Running);
  if (last > 0) rows = rows.slice(0, last);
  const trunc = !options['no-trunc'];
  const now = Date.now();
  let format = (options['format'] as string | undefined) ?? '';
  const quiet = Boolean(options['quiet']);
  let defaultFormat: string = columns.containers.defaultFormat;
  if (options['size'] && (format === '' || format === 'table')) defaultFormat += '\t{{.Size}}';
  if (quiet && (format === '' || format === 'table')) format = '{{.ID}}';
  ctx.write(renderList(rows.map((r) => psRow(containers, images, r, trunc, now)), {
    format, defaultFormat, headers: columns.containers.headers, typeName: columns.containers.typeName,
  }));
}

// ---------- inspect ----------

/** The inspect value of a container (also used by the top-level `inspect`). */
export async function containerInspectValue(containers: ContainerManager, c: Container, size: boolean): Promise<unknown> {
  const raw = await containers.inspect(c, { size });
  return goStruct(raw, 'types.ContainerJSON', { marshalJSON: () => JSON.stringify(raw) });
}

export async function containerInspect(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const containers = await manager(ctx);
  const values: unknown[] = [];
  const errors: StrataError[] = [];
  for (const ref of args) {
    try {
      values.push(await containerInspectValue(containers, containers.find(ref), Boolean(options['size'])));
    } catch (err) {
      if (!isStrataError(err)) throw err;
      errors.push(err);
    }
  }
  return printInspect(ctx, values, options['format'] as string | undefined, errors);
}

// ---------- logs, top ----------

export async function logs(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const containers = await manager(ctx);
  const c = containers.find(args[0] as string);
  const tailText = (options['tail'] as string | undefined) ?? 'all';
  let tail: number | undefined;
  if (tailText !== 'all') {
    if (!/^-?\d+$/.test(tailText)) throw invalidArgument(`invalid value for "tail": ${tailText}`);
    tail = Number(tailText);
  }
  const since = options['since'] ? parseLogTime(options['since'] as string) : undefined;
  const until = options['until'] ? parseLogTime(options['until'] as string) : undefined;
  const follow = Boolean(options['follow']);
  const timestamps = Boolean(options['timestamps']);
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const entries = readLogs(containers.logPath(c), {
      follow,
      ...(tail !== undefined ? { tail } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      done: async () => !(await containers.status(c)).Running,
      signal: controller.signal,
      pollInterval: 5000,
    });
    for await (const entry of entries) {
      const text = formatLogEntry(entry, { timestamps });
      if (entry.stream === 'stderr') ctx.stderr.write(text);
      else ctx.stdout.write(text);
    }
  } catch (err) {
    // A container that never started has no log yet: nothing to show, as docker.
    if (!(isStrataError(err, 'not-found') && errnoOf((err as StrataError).cause) === 'ENOENT')) throw err;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}

export async function top(ctx: CliContext, args: string[]): Promise<void> {
  const containers = await manager(ctx);
  const [ref, ...psArgs] = args as [string, ...string[]];
  const c = containers.find(ref);
  const psOptions = psArgs.length === 1 ? (psArgs[0] as string).split(/\s+/).filter(Boolean) : psArgs;
  const result = await containers.top(c, psOptions);
  const w = new TabWriter({ minWidth: 20, padding: 3, padChar: ' ' });
  w.write(`${result.titles.join('\t')}\n`);
  for (const p of result.processes) w.write(`${p.join('\t')}\n`);
  ctx.write(w.flush());
}

// ---------- control ----------

export async function stop(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const containers = await manager(ctx);
  const timeout = (options['time'] as number | undefined) ?? (options['timeout'] as number | undefined);
  const signal = options['signal'] as string | undefined;
  return eachContainer(ctx, args, async (c) => {
    if (signal !== undefined) {
      const s = await containers.status(c);
      if (!s.Running) return;
      await containers.kill(c, signal);
      if (await containers.waitStopped(c, (timeout ?? 10) * 1000)) return;
    }
    await containers.stop(c, timeout);
  });
}

export async function kill(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const containers = await manager(ctx);
  const signal = (options['signal'] as string | undefined) ?? 'KILL';
  return eachContainer(ctx, args, (c) => containers.kill(c, signal), (ref) => `Cannot kill container: ${ref}: `);
}

export async function restart(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const containers = await manager(ctx);
  const timeout = options['time'] as number | undefined;
  return eachContainer(ctx, args, async (c) => {
    await containers.stop(c, timeout);
    await containers.start(containers.refresh(c), { removeCommand: removeCommandFor(ctx, c.id) });
  });
}

export async function wait(ctx: CliContext, args: string[]): Promise<number> {
  const containers = await manager(ctx);
  let failed = false;
  for (const ref of args) {
    try {
      ctx.println(String(await waitFor(containers, containers.find(ref), 'not-running') ?? 0));
    } catch (err) {
      if (!isStrataError(err)) throw err;
      ctx.warn(`Error: ${err.message}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

export async function pause(ctx: CliContext, args: string[]): Promise<number> {
  const containers = await manager(ctx);
  return eachContainer(ctx, args, (c) => containers.pause(c));
}

export async function unpause(ctx: CliContext, args: string[]): Promise<number> {
  const containers = await manager(ctx);
  return eachContainer(ctx, args, (c) => containers.unpause(c));
}

export async function rm(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const containers = await manager(ctx);
  return eachContainer(ctx, args, async (c) => {
    await containers.remove(c, { force: Boolean(options['force']), volumes: Boolean(options['volumes']) });
  });
}

export async function rename(ctx: CliContext, args: string[]): Promise<void> {
  const containers = await manager(ctx);
  const [from, to] = args as [string, string];
  const c = containers.find(from);
  try {
    containers.rename(c, to);
  } catch (err) {
    if (isStrataError(err, 'already-exists')) {
      ctx.warn(`Error: ${err.message}`);
      throw new StrataError('already-exists', `failed to rename container named ${from}`);
    }
    throw err;
  }
}


export async function prune(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  const filters = parseFilters(options['filter'] as string[]);
  if (!options['force'] && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.'))) return;
  const containers = await manager(ctx);
  const { deleted, reclaimed } = await containers.prune(filters);
  if (deleted.length > 0) {
    ctx.println('Deleted Containers:');
    for (const id of deleted) ctx.println(id);
    ctx.println();
  }
  ctx.println(`Total reclaimed space: ${humanSize4(reclaimed)}`);
}

