/**
 * The store's events as docker's event stream gives them, for `strata events` and the
 * Engine API's GET /events: the kept events from `since`, then new ones as they are
 * appended (by any command), until `until` or until the reader stops; docker's filters.
 */
import { invalidArgument } from '../errdefs/index.ts';
import type { EventJournal, StoreEvent } from './event-journal.ts';

/** Where events come from: what is kept, and what comes next. */
export interface EventSource {
  history(): readonly StoreEvent[];
  /** Calls `listener` for each new event until the returned function is called. */
  follow(listener: (event: StoreEvent) => void): () => void;
}

/** The journal itself as a source (the CLI reads it directly; the service shares one tail). */
export function journalSource(journal: EventJournal): EventSource {
  return {
    history: () => journal.read(),
    follow: (listener) => {
      const tail = journal.tail(listener);
      return () => tail.stop();
    },
  };
}

const FILTERS = new Set(['type', 'event', 'image', 'volume', 'container', 'label', 'scope', 'network', 'daemon', 'plugin', 'node', 'service', 'secret', 'config']);

/**
 * docker's event filters: type, event (action), scope, image, volume, container, label.
 * @throws invalid-argument for a filter docker doesn't know.
 */
export function eventMatcher(filters: Map<string, string[]>): (event: StoreEvent) => boolean {
  for (const name of filters.keys()) if (!FILTERS.has(name)) throw invalidArgument(`invalid filter '${name}'`);
  const any = (name: string, test: (value: string) => boolean): boolean => {
    const values = filters.get(name);
    return values === undefined || values.length === 0 || values.some(test);
  };
  return (e) => any('type', (v) => v === e.Type)
    && any('event', (v) => v === e.Action)
    && any('scope', (v) => v === e.scope)
    && any('image', (v) => e.Type === 'image' && (v === e.Actor.ID || v === e.Actor.Attributes['name'] || e.Actor.ID.startsWith(v) || e.Actor.ID === `sha256:${v}`))
    && any('volume', (v) => e.Type === 'volume' && v === e.Actor.ID)
    && any('container', (v) => e.Type === 'container' && (v === e.Actor.ID || v === e.Actor.Attributes['name']))
    && any('label', (v) => {
      const eq = v.indexOf('=');
      return eq < 0 ? e.Actor.Attributes[v] !== undefined : e.Actor.Attributes[v.slice(0, eq)] === v.slice(eq + 1);
    });
}

/**
 * The message dockerd sends, with the fields older clients read (status, id, from), and the
 * attributes in the order Go writes a map's keys: sorted.
 */
export function dockerEventMessage(e: StoreEvent): Record<string, unknown> {
  const attributes = Object.fromEntries(Object.entries(e.Actor.Attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    status: e.Action, id: e.Actor.ID, ...(e.Actor.Attributes['image'] ? { from: e.Actor.Attributes['image'] } : {}),
    ...e, Actor: { ID: e.Actor.ID, Attributes: attributes },
  };
}

export interface EventRange {
  /** Milliseconds since the epoch; kept events from then on are sent first. */
  sinceMs?: number;
  /** Milliseconds since the epoch; the stream ends then (at once when it is past). */
  untilMs?: number;
}

/**
 * Sends the matching events of `range` to `send` until `until` passes or `signal` aborts.
 * Follows before it reads what is kept, so nothing appended meanwhile is missed; the tail
 * then brings first what the past already held, and those are dropped, once.
 */
export async function streamEvents(source: EventSource, range: EventRange, matches: (e: StoreEvent) => boolean, send: (e: StoreEvent) => void, signal: AbortSignal): Promise<void> {
  const { sinceMs: since, untilMs: until } = range;
  const deliver = (e: StoreEvent): void => {
    const ms = e.timeNano / 1e6;
    if ((since === undefined || ms >= since) && (until === undefined || ms <= until) && matches(e)) send(e);
  };
  const sent = new Set<string>();
  const stop = source.follow((e) => {
    if (sent.size > 0) {
      if (sent.has(JSON.stringify(e))) return;
      sent.clear();
    }
    deliver(e);
  });
  try {
    if (since !== undefined) {
      for (const e of source.history()) {
        sent.add(JSON.stringify(e));
        deliver(e);
      }
    }
    const now = Date.now();
    if ((until !== undefined && until <= now) || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = until === undefined ? undefined : setTimeout(done, until - now);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  } finally {
    stop();
  }
}
