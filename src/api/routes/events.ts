/**
 * GET /events: what commands did to the store (image, volume and container events, the CLI's beside the
 * service included: the store's events journal), as dockerd's event stream: the journal's
 * events from `since`, then new ones as they happen, until `until` or until the client leaves. Filters: type, event (action), image, volume, container, label, scope.
 */
import { invalidArgument } from '../../errdefs/index.ts';
import type { ApiEvent } from '../events.ts';
import { queryFilters } from '../filters.ts';
import type { ApiRequest, Route } from '../router.ts';

/** `since`/`until`: Unix seconds (`1700000000` or `1700000000.5`) or an RFC 3339 time; in ms. */
function timeParam(req: ApiRequest, name: string): number | undefined {
  const value = req.query.get(name);
  if (value === null || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidArgument(`invalid ${name} "${value}": use Unix seconds or an RFC 3339 time`);
  return ms;
}

function matcher(filters: Map<string, string[]>): (event: ApiEvent) => boolean {
  const known = new Set(['type', 'event', 'image', 'volume', 'container', 'label', 'scope', 'network', 'daemon', 'plugin', 'node', 'service', 'secret', 'config']);
  for (const name of filters.keys()) if (!known.has(name)) throw invalidArgument(`invalid filter '${name}'`);
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

/** The message dockerd sends, with the fields older clients read (status, id, from). */
function message(e: ApiEvent): Record<string, unknown> {
  return { status: e.Action, id: e.Actor.ID, ...(e.Actor.Attributes['image'] ? { from: e.Actor.Attributes['image'] } : {}), ...e };
}

export const eventRoutes: Route[] = [
  {
    method: 'GET',
    path: '/events',
    handler: async (req, res, api) => {
      const since = timeParam(req, 'since');
      const until = timeParam(req, 'until');
      const matches = matcher(queryFilters(req));
      const stream = res.jsonStream();
      // The status line goes out at once: a client waits for it before it shows anything.
      stream.open();
      const inRange = (e: ApiEvent): boolean => (since === undefined || e.timeNano / 1e6 >= since) && (until === undefined || e.timeNano / 1e6 <= until);
      const send = (e: ApiEvent): void => {
        if (inRange(e) && matches(e)) stream.write(message(e));
      };
      // Followed before the journal is read, so that nothing appended meanwhile is missed; the
      // tail then brings first what the past already held: those are dropped, once.
      const sent = new Set<string>();
      const stop = api.events.follow((e) => {
        if (sent.size > 0) {
          if (sent.has(JSON.stringify(e))) return;
          sent.clear();
        }
        send(e);
      });
      if (since !== undefined) {
        for (const e of api.events.history()) {
          sent.add(JSON.stringify(e));
          send(e);
        }
      }
      const now = Date.now();
      if (until !== undefined && until <= now) {
        stop();
        return stream.end();
      }
      await new Promise<void>((resolve) => {
        const timer = until === undefined ? undefined : setTimeout(finish, until - now);
        function finish(): void {
          clearTimeout(timer);
          stop();
          resolve();
        }
        req.signal.addEventListener('abort', finish, { once: true });
        res.raw.once('close', finish);
      });
      stream.end();
    },
  },
];
