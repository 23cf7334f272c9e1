/** `events` (`system events`): the store's events as docker prints them, past ones from --since, then new ones until --until or Ctrl-C. */
import { goStruct } from '@strata/go-template';
import { dockerEventMessage, eventMatcher, journalSource, streamEvents, type StoreEvent } from '../../engine/index.ts';
import { parseLogTime } from '../../runtime/index.ts';
import { parseFilters } from '../filters.ts';
import { parseFormat, templateString } from '../format/render.ts';
import type { CliContext } from '../context.ts';
import type { Options } from '../spec.ts';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Go's RFC3339NanoFixed in the local zone, as docker's CLI prints an event's time. */
export function eventTime(timeNano: number): string {
  const ms = Math.floor(timeNano / 1e6);
  const offsetMin = -new Date(ms).getTimezoneOffset();
  const local = new Date(ms + offsetMin * 60_000);
  // The digits as the journal has them (a double's arithmetic would invent the last ones).
  const nanos = String(timeNano).padStart(9, '0').slice(-9);
  const zone = offsetMin === 0 ? 'Z' : `${offsetMin > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
  return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${nanos}${zone}`;
}

/** docker's line: time, type, action, actor, then the attributes sorted by name. */
export function eventLine(e: StoreEvent): string {
  const names = Object.keys(e.Actor.Attributes).sort();
  const attributes = names.length === 0 ? '' : ` (${names.map((k) => `${k}=${e.Actor.Attributes[k]}`).join(', ')})`;
  return `${eventTime(e.timeNano)} ${e.Type} ${e.Action} ${e.Actor.ID}${attributes}\n`;
}

/** The event as docker's events.Message for templates: Go's field names, its JSON for `{{json .}}`. */
function templateValue(e: StoreEvent): unknown {
  const message = dockerEventMessage(e);
  return goStruct({
    Status: e.Action, ID: e.Actor.ID, From: e.Actor.Attributes['image'] ?? '', Type: e.Type, Action: e.Action,
    Actor: goStruct({ ID: e.Actor.ID, Attributes: e.Actor.Attributes }, 'events.Actor'),
    Scope: e.scope, Time: e.time, TimeNano: e.timeNano,
  }, 'events.Message', { marshalJSON: () => JSON.stringify(message) });
}

const msOf = (value: string | undefined): number | undefined => (value === undefined || value === '' ? undefined : Number(parseLogTime(value) / 1_000_000n));

export async function events(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  const sinceMs = msOf(options['since'] as string | undefined);
  const untilMs = msOf(options['until'] as string | undefined);
  const matches = eventMatcher(parseFilters(options['filter'] as string[] | undefined));
  const format = options['format'] as string | undefined;
  const template = format === undefined || format === '' ? undefined : parseFormat(templateString(format));
  const engine = await ctx.engine();
  const stopped = new AbortController();
  const stop = (): void => stopped.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // The journal's watcher does not hold the process open (the service's listener does there).
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  try {
    await streamEvents(journalSource(engine.events), { ...(sinceMs !== undefined ? { sinceMs } : {}), ...(untilMs !== undefined ? { untilMs } : {}) }, matches,
      (e) => ctx.write(template === undefined ? eventLine(e) : `${template.execute(templateValue(e))}\n`), stopped.signal);
  } finally {
    clearInterval(keepAlive);
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}
