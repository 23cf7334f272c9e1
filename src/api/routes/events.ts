/**
 * GET /events: what commands did to the store (image, volume and container events, the CLI's beside the
 * service included: the store's events journal), as dockerd's event stream: the journal's
 * events from `since`, then new ones as they happen, until `until` or until the client leaves. Filters: type, event (action), image, volume, container, label, scope.
 */
import { invalidArgument } from '../../errdefs/index.ts';
import { dockerEventMessage, eventMatcher, streamEvents } from '../../engine/index.ts';
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

export const eventRoutes: Route[] = [
  {
    method: 'GET',
    path: '/events',
    handler: async (req, res, api) => {
      const since = timeParam(req, 'since');
      const until = timeParam(req, 'until');
      const matches = eventMatcher(queryFilters(req));
      const stream = res.jsonStream();
      // The status line goes out at once: a client waits for it before it shows anything.
      stream.open();
      const gone = new AbortController();
      req.signal.addEventListener('abort', () => gone.abort(), { once: true });
      res.raw.once('close', () => gone.abort());
      const range = { ...(since !== undefined ? { sinceMs: since } : {}), ...(until !== undefined ? { untilMs: until } : {}) };
      await streamEvents(api.events, range, matches, (e) => stream.write(dockerEventMessage(e)), gone.signal);
      stream.end();
    },
  },
];
