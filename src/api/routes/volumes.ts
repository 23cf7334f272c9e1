/** Volume endpoints: create, list, inspect, remove, prune. */
import { invalidArgument } from '../../errdefs/index.ts';
import type { VolumeSummary } from '../../containers/index.ts';
import { queryFilters } from '../filters.ts';
import type { ApiContext, Route } from '../router.ts';

async function volumeStore(api: ApiContext): Promise<Awaited<ReturnType<ApiContext['engine']['containers']>>['volumes']> {
  return (await api.engine.containers()).volumes;
}

/** A volume as docker's list shows it: the inspect fields, without strata's own. */
function listed(v: VolumeSummary): Record<string, unknown> {
  const { anonymous: _anonymous, links: _links, ...inspect } = v;
  return inspect;
}

function stringRecord(value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw invalidArgument(`invalid ${field}: a JSON object of strings is expected`);
  }
  return value as Record<string, string>;
}

export const volumeRoutes: Route[] = [
  {
    method: 'GET',
    path: '/volumes',
    handler: async (req, res, api) => {
      const store = await volumeStore(api);
      res.json(200, { Volumes: store.list(queryFilters(req)).map(listed), Warnings: [] });
    },
  },
  {
    method: 'POST',
    path: '/volumes/create',
    handler: async (req, res, api) => {
      const body = (await req.json<Record<string, unknown>>()) ?? {};
      if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid volume create request: a JSON object is expected');
      const name = body['Name'];
      const driver = body['Driver'];
      if (name !== undefined && typeof name !== 'string') throw invalidArgument('invalid Name: a string is expected');
      if (driver !== undefined && typeof driver !== 'string') throw invalidArgument('invalid Driver: a string is expected');
      if (body['ClusterVolumeSpec'] !== undefined && body['ClusterVolumeSpec'] !== null) throw invalidArgument('cluster volumes are not supported');
      const labels = stringRecord(body['Labels'], 'Labels');
      const options = stringRecord(body['DriverOpts'], 'DriverOpts');
      const store = await volumeStore(api);
      const volume = store.create({
        ...(name ? { name } : {}),
        ...(driver ? { driver } : {}),
        ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
        ...(options && Object.keys(options).length > 0 ? { options } : {}),
      });
      api.events.emit('volume', 'create', volume.Name, { driver: volume.Driver });
      res.json(201, volume);
    },
  },
  {
    method: 'POST',
    path: '/volumes/prune',
    handler: async (req, res, api) => {
      const filters = queryFilters(req);
      const all = (filters.get('all') ?? []).some((v) => v === 'true' || v === '1');
      filters.delete('all');
      const store = await volumeStore(api);
      const { deleted, reclaimed } = store.prune({ all, filters });
      for (const name of deleted) api.events.emit('volume', 'destroy', name, { driver: 'local' });
      res.json(200, { VolumesDeleted: deleted.length === 0 ? null : deleted, SpaceReclaimed: reclaimed });
    },
  },
  {
    method: 'GET',
    path: '/volumes/{name}',
    handler: async (req, res, api) => {
      res.json(200, (await volumeStore(api)).inspect(req.param('name')));
    },
  },
  {
    method: 'DELETE',
    path: '/volumes/{name}',
    handler: async (req, res, api) => {
      const name = req.param('name');
      const removed = (await volumeStore(api)).remove(name, { force: req.queryBool('force') });
      if (removed) api.events.emit('volume', 'destroy', name, { driver: 'local' });
      res.noContent();
    },
  },
];
