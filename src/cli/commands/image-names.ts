/** `tag`, `rmi` and `image prune`. */
import { isStrataError } from '../../errdefs/index.ts';
import { familiarString, parseReference, withDefaultTag } from '../../oci/index.ts';
import { confirm } from '../confirm.ts';
import type { EventJournal } from '../../engine/index.ts';
import type { CliContext } from '../context.ts';
import type { Options } from '../spec.ts';
import { parseFilters } from '../filters.ts';

/** rmi's and prune's untag and delete events, as the service's DELETE /images gives them. */
function journalRemovals(events: EventJournal, records: { untagged?: string; deleted?: string }[]): void {
  for (const r of records) {
    if (r.deleted !== undefined) events.append('image', 'delete', r.deleted);
    if (r.untagged !== undefined) events.append('image', 'untag', r.untagged);
  }
}

export async function tag(ctx: CliContext, args: string[]): Promise<void> {
  const [source, target] = args as [string, string];
  const engine = await ctx.engine();
  const id = engine.images.resolve(source);
  const ref = withDefaultTag(parseReference(target));
  engine.images.tag(ref, id);
  engine.events.append('image', 'tag', id, { name: familiarString(ref) });
}

export async function rmi(ctx: CliContext, args: string[], options: Options): Promise<number> {
  const engine = await ctx.engine();
  const remover = await engine.imageRemover();
  let failed = false;
  for (const ref of args) {
    try {
      const records = remover.remove(ref, { force: Boolean(options['force']), prune: !options['no-prune'] });
      for (const r of records) ctx.println(r.untagged !== undefined ? `Untagged: ${r.untagged}` : `Deleted: ${r.deleted}`);
      journalRemovals(engine.events, records);
    } catch (err) {
      if (!isStrataError(err)) throw err;
      ctx.warn(`Error: ${err.message}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}


export async function imagePrune(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  const filters = parseFilters(options['filter'] as string[]);
  const all = Boolean(options['all']);
  if (!options['force']) {
    const warning = all
      ? 'WARNING! This will remove all images without at least one container associated to them.'
      : 'WARNING! This will remove all dangling images.';
    if (!(await confirm(ctx, warning))) return;
  }
  const engine = await ctx.engine();
  const { humanSize4 } = await import('../format/size.ts');
  const report = (await engine.imageRemover()).prune({ all, filters });
  journalRemovals(engine.events, report.records);
  if (report.records.length > 0) {
    ctx.println('Deleted Images:');
    for (const r of report.records) ctx.println(r.untagged !== undefined ? `untagged: ${r.untagged}` : `deleted: ${r.deleted}`);
    ctx.println();
  }
  ctx.println(`Total reclaimed space: ${humanSize4(report.spaceReclaimed)}`);
}
