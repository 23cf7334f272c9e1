/**
 * docker's container filters (`--filter key=value`), one implementation for `ps` and
 * `container prune`; each command accepts its own keys, as docker's daemon does (prune:
 * `until`, `label`, `label!`). Values of one key are alternatives (any may match), except
 * `label` (all must match), `label!` (excludes only what matches all of them, as docker) and
 * `until` (every one applies).
 */
import { invalidArgument } from '../errdefs/index.ts';
import { matchesLabelFilters, parseTimestampFilter } from '../oci/index.ts';
import type { Container } from './container.ts';
import type { ContainerListing } from './status-reader.ts';
import { networkNames, networkStatusOf } from './network-view.ts';

/** The keys `ps` takes (docker's; `health` and `isolation` match everything here). */
export const PS_FILTERS: readonly string[] = [
  'ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'label!', 'name', 'network', 'publish', 'since', 'status', 'volume',
];

/** The keys `container prune` takes. */
export const PRUNE_FILTERS: readonly string[] = ['until', 'label', 'label!'];

const STATES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

export interface ContainerFilterOptions {
  /** The keys the command takes; any other is an error. */
  accepted: readonly string[];
  /** The container a `before=`/`since=` value names. @throws not-found */
  find: (ref: string) => Container;
  /** The image ID an `ancestor=` value names, when it names one. */
  imageId?: (ref: string) => string | undefined;
  /** What `until=` durations count back from (ms). */
  now?: number;
}

/**
 * Checks `filters` and returns the function that applies them to a listing (newest first,
 * as `before`/`since` count positions in it).
 * @throws invalid-argument `Invalid filter 'key'` for a key the command doesn't take, a bad
 *   status or `until` value; not-found for a `before`/`since` container that doesn't exist.
 */
/** `80`, `80/udp` or `8000-8080/tcp` against ports such as `80/tcp` (docker's publish= and expose=). */
function portMatches(filter: string, ports: string[]): boolean {
  const [range = '', proto = 'tcp'] = filter.split('/');
  const [lo, hi = lo] = range.split('-').map(Number);
  return ports.some((p) => {
    const [port = '', pproto = 'tcp'] = p.split('/');
    return pproto === proto && Number(port) >= (lo ?? NaN) && Number(port) <= (hi ?? NaN);
  });
}

/** The container ports a running container publishes (`80/tcp`). */
function publishedPorts(c: Container, running: boolean): string[] {
  return (running ? networkStatusOf(c)?.ports ?? [] : []).map((p) => `${p.containerPort}/${p.protocol}`);
}

export function containerFilter(filters: Map<string, string[]>, options: ContainerFilterOptions): (rows: ContainerListing[]) => ContainerListing[] {
  for (const key of filters.keys()) if (!options.accepted.includes(key)) throw invalidArgument(`Invalid filter '${key}'`);
  for (const s of filters.get('status') ?? []) if (!STATES.includes(s)) throw invalidArgument(`Invalid filter 'status=${s}'`);
  const beforeIds = (filters.get('before') ?? []).map((ref) => options.find(ref).id);
  const sinceIds = (filters.get('since') ?? []).map((ref) => options.find(ref).id);
  const ancestors = (filters.get('ancestor') ?? []).map((a) => options.imageId?.(a) ?? a);
  const until = (filters.get('until') ?? []).map((u) => parseTimestampFilter(u, options.now));
  const any = (key: string, test: (v: string) => boolean): boolean => {
    const values = filters.get(key);
    return values === undefined || values.length === 0 || values.some(test);
  };
  return (rows) => {
    const position = (id: string): number => rows.findIndex((r) => r.container.id === id);
    const before = beforeIds.map(position);
    const since = sinceIds.map(position);
    return rows.filter(({ container: c, status }, i) => {
      if (!any('id', (v) => c.id.startsWith(v))) return false;
      if (!any('name', (v) => new RegExp(v).test(c.name) || new RegExp(v).test(`/${c.name}`))) return false;
      if (!any('status', (v) => v === status.Status)) return false;
      if (!any('exited', (v) => status.Status === 'exited' && Number(v) === status.ExitCode)) return false;
      if (!matchesLabelFilters(filters, c.stored.config.Labels)) return false;
      if (!any('ancestor', (v) => v === c.imageId || v === c.stored.imageRef)) return false;
      if (ancestors.length > 0 && !ancestors.some((a) => a === c.imageId || a === c.stored.imageRef)) return false;
      if (!any('volume', (v) => c.stored.mounts.some((m) => m.Name === v || m.Source === v || m.Destination === v))) return false;
      if (!any('network', (v) => networkNames(c).includes(v))) return false;
      if (!any('publish', (v) => portMatches(v, publishedPorts(c, status.Running)))) return false;
      if (!any('expose', (v) => portMatches(v, [...Object.keys(c.stored.config.ExposedPorts ?? {}), ...publishedPorts(c, status.Running)]))) return false;
      if (!any('is-task', (v) => v === 'false')) return false;
      if (before.some((b) => i <= b)) return false;
      if (since.some((s) => i >= s)) return false;
      if (!until.every((u) => Date.parse(c.created) < u)) return false;
      return true;
    });
  };
}
