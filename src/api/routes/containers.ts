/**
 * Container endpoints: create, list, inspect, start, stop, restart, kill, wait, remove,
 * prune, rename, pause, unpause, top, resize. Streams (logs, attach) are in
 * container-io.ts; files (archive, export, changes, commit) in container-files.ts.
 */
import { failedPrecondition, invalidArgument, isStrataError, StrataError } from '../../errdefs/index.ts';
import { commandLine } from '../../containers/container-config.ts';
import { containerFilter, PRUNE_FILTERS, PS_FILTERS } from '../../containers/filters.ts';
import { imageShown } from '../../containers/image-shown.ts';
import { networkSettings } from '../../containers/network-view.ts';
import { statusText } from '../../containers/state.ts';
import { waitCondition, waitFor } from '../../containers/wait.ts';
import type { Container, ContainerListing, ContainerManager } from '../../containers/index.ts';
import type { ImageStore } from '../../images/index.ts';
import { createRequestOf } from '../container-create.ts';
import { removeCommand, startAttached } from '../container-attach.ts';
import { sessionsOf } from '../container-sessions.ts';
import { queryFilters } from '../filters.ts';
import type { ApiContext, ApiRequest, Route } from '../router.ts';

export async function containersOf(api: ApiContext): Promise<ContainerManager> {
  return api.engine.containers();
}

/** The container a path names; 404 `No such container: …` otherwise. */
export async function pathContainer(req: ApiRequest, api: ApiContext): Promise<{ containers: ContainerManager; c: Container }> {
  const containers = await containersOf(api);
  return { containers, c: containers.find(req.param('id')) };
}

type PortsMap = Record<string, Array<{ HostIp: string; HostPort: string }> | null>;

/** The summary's Ports: one entry per published binding, `{PrivatePort, Type}` for a port only exposed. */
function summaryPorts(ports: PortsMap): Array<Record<string, unknown>> {
  return Object.entries(ports).flatMap(([key, bindings]) => {
    const [port, type] = key.split('/');
    const base = { PrivatePort: Number(port), Type: type ?? 'tcp' };
    if (bindings === null || bindings.length === 0) return [base];
    return bindings.map((b) => ({ IP: b.HostIp, ...base, PublicPort: Number(b.HostPort) }));
  });
}

/** docker's container summary (`GET /containers/json`). */
function summary(containers: ContainerManager, images: ImageStore, r: ContainerListing, size: boolean, now: number): Record<string, unknown> {
  const { container: c, status } = r;
  const settings = networkSettings(c, status.Running);
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: imageShown(images, c),
    ImageID: c.imageId,
    Command: commandLine(c.stored),
    Created: Math.floor(Date.parse(c.created) / 1000),
    Ports: summaryPorts(settings['Ports'] as PortsMap),
    ...(size ? { SizeRw: containers.sizeRw(c), SizeRootFs: containers.sizeRw(c) + containers.imageSize(c) } : {}),
    Labels: c.stored.config.Labels,
    State: status.Status,
    Status: statusText(status, now),
    HostConfig: { NetworkMode: c.stored.host.NetworkMode },
    // The list's endpoints are inspect's, without the DNS names (as dockerd's summary).
    NetworkSettings: { Networks: Object.fromEntries(Object.entries(settings['Networks'] as Record<string, Record<string, unknown>>).map(([k, v]) => [k, { ...v, DNSNames: null }])) },
    Mounts: c.stored.mounts.map((m) => ({
      Type: m.Type, ...(m.Name !== undefined ? { Name: m.Name } : {}), Source: m.Source, Destination: m.Destination,
      ...(m.Driver !== undefined ? { Driver: m.Driver } : {}), Mode: m.Mode, RW: m.RW, Propagation: m.Propagation,
    })),
  };
}

/** `t` as dockerd reads it: whole seconds, negative waits forever; absent is the container's own. */
function timeoutParam(req: ApiRequest): number | undefined {
  const t = req.query.get('t') ?? req.query.get('timeout');
  if (t === null || t === '') return undefined;
  if (!/^-?\d+$/.test(t)) throw invalidArgument(`invalid value for "t": ${t}`);
  return Number(t);
}

async function stopContainer(containers: ContainerManager, c: Container, timeout: number | undefined, signal: string | null): Promise<void> {
  if (signal !== null && signal !== '') {
    await containers.kill(c, signal);
    if (await containers.waitStopped(c, (timeout ?? 10) * 1000)) return;
  }
  await containers.stop(c, timeout);
}

export const containerRoutes: Route[] = [
  {
    method: 'POST',
    path: '/containers/create',
    handler: async (req, res, api) => {
      const body = await req.json<unknown>();
      const containers = await containersOf(api);
      const name = req.query.get('name') ?? undefined;
      if (req.query.get('platform')) {
        const platform = req.query.get('platform') as string;
        if (!/^linux(\/|$)/.test(platform)) throw invalidArgument(`platform ${platform} is not supported by strata`);
      }
      const request = createRequestOf(body ?? {}, name, api.engine.images, containers);
      const c = await containers.create(request);
      res.json(201, { Id: c.id, Warnings: [] });
    },
  },
  {
    method: 'GET',
    path: '/containers/json',
    handler: async (req, res, api) => {
      const containers = await containersOf(api);
      const { images } = api.engine;
      const filters = queryFilters(req);
      const limit = Number(req.query.get('limit') ?? '-1');
      if (!Number.isInteger(limit)) throw invalidArgument(`invalid value for "limit": ${req.query.get('limit')}`);
      const all = req.queryBool('all') || limit > 0;
      const pick = containerFilter(filters, { accepted: PS_FILTERS, find: (ref) => containers.find(ref), imageId: (ref) => images.lookup(ref) });
      let rows = pick(await containers.list({ all: true }));
      if (!all && !filters.has('status') && !filters.has('exited')) rows = rows.filter((r) => r.status.Running);
      if (limit > 0) rows = rows.slice(0, limit);
      const now = Date.now();
      res.json(200, rows.map((r) => summary(containers, images, r, req.queryBool('size'), now)));
    },
  },
  {
    method: 'POST',
    path: '/containers/prune',
    handler: async (req, res, api) => {
      const filters = queryFilters(req);
      for (const key of filters.keys()) if (!PRUNE_FILTERS.includes(key)) throw invalidArgument(`Invalid filter '${key}'`);
      const { deleted, reclaimed } = await (await containersOf(api)).prune(filters);
      res.json(200, { ContainersDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed });
    },
  },
  {
    method: 'GET',
    path: '/containers/{id}/json',
    handler: async (req, res, api) => {
      const { containers, c } = await pathContainer(req, api);
      res.json(200, await containers.inspect(c, { size: req.queryBool('size') }));
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/start',
    handler: async (req, res, api) => {
      const { containers, c } = await pathContainer(req, api);
      if (req.query.get('checkpoint')) throw invalidArgument('checkpoints are not supported by strata');
      if ((await containers.status(c)).Running) {
        res.head(304);
        res.raw.end();
        return;
      }
      const sessions = sessionsOf(api.engine);
      const clients = sessions.takeAttachments(c.id);
      try {
        if (clients.length > 0) {
          // Its events (start, die, destroy) are the container module's and its supervisor's.
          await startAttached(api.engine, containers, sessions, c, clients);
        }
        else await containers.start(c, { removeCommand: removeCommand(api.engine, c.id) });
      } catch (err) {
        // As dockerd: a container that can't start is removed when it was made with AutoRemove.
        if (c.stored.host.AutoRemove) await containers.remove(c, { force: true, volumes: true }).catch(() => undefined);
        throw err;
      }
      res.noContent();
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/stop',
    handler: async (req, res, api) => {
      const timeout = timeoutParam(req);
      const { containers, c } = await pathContainer(req, api);
      if (!(await containers.status(c)).Running) {
        res.head(304);
        res.raw.end();
        return;
      }
      await stopContainer(containers, c, timeout, req.query.get('signal'));
      res.noContent();
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/restart',
    handler: async (req, res, api) => {
      const { containers, c } = await pathContainer(req, api);
      await stopContainer(containers, c, timeoutParam(req), req.query.get('signal'));
      await containers.start(containers.refresh(c), { removeCommand: removeCommand(api.engine, c.id) });
      api.events.emit('container', 'restart', c.id, { name: c.name });
      res.noContent();
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/kill',
    handler: async (req, res, api) => {
      const { containers, c } = await pathContainer(req, api);
      const signal = req.query.get('signal') || 'KILL';
      try {
        await containers.kill(c, signal);
      } catch (err) {
        if (isStrataError(err, 'failed-precondition')) throw failedPrecondition(`Cannot kill container: ${req.param('id')}: ${err.message}`);
        throw err;
      }
      // As dockerd: a SIGKILL is answered once the container is gone, so a prune or rm after it sees it exited.
      if (/^(9|(SIG)?KILL)$/i.test(signal)) await containers.waitStopped(c, 10_000);
      res.noContent();
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/wait',
    handler: async (req, res, api) => {
      const condition = waitCondition(req.query.get('condition'));
      const { containers, c } = await pathContainer(req, api);
      // The status line goes out now, as dockerd's: a client knows the wait is in place.
      res.head(200, { 'Content-Type': 'application/json' });
      res.raw.flushHeaders();
      const sessions = sessionsOf(api.engine);
      const code = await waitFor(containers, c, condition, { signal: req.signal, knownExit: (id) => sessions.lastExit(id) });
      if (code === undefined) return;
      res.raw.end(`${JSON.stringify({ StatusCode: code })}\n`);
    },
  },
  {
    method: 'DELETE',
    path: '/containers/{id}',
    handler: async (req, res, api) => {
      if (req.queryBool('link')) throw invalidArgument('links are not supported by strata');
      const { containers, c } = await pathContainer(req, api);
      await containers.remove(c, { force: req.queryBool('force'), volumes: req.queryBool('v') });
      res.noContent();
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/rename',
    handler: async (req, res, api) => {
      const { containers, c } = await pathContainer(req, api);
      const name = req.query.get('name');
      if (!name) throw invalidArgument('Neither old nor new names may be empty');
      try {
        containers.rename(c, name);
      } catch (err) {
        if (isStrataError(err, 'already-exists')) throw new StrataError('already-exists', `${err.message}`);
        throw err;
      }
      res.noContent();
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/pause',
    handler: async (req, res, api) => {
      const { containers, c } = await pathContainer(req, api);
      await containers.pause(c);
      res.noContent();
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/unpause',
    handler: async (req, res, api) => {
      const { containers, c } = await pathContainer(req, api);
      await containers.unpause(c);
      res.noContent();
    },
  },
  {
    method: 'GET',
    path: '/containers/{id}/top',
    handler: async (req, res, api) => {
      const { containers, c } = await pathContainer(req, api);
      const psArgs = (req.query.get('ps_args') ?? '').split(/\s+/).filter(Boolean);
      const { titles, processes } = await containers.top(c, psArgs);
      res.json(200, { Titles: titles, Processes: processes });
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/resize',
    handler: async (req, res, api) => {
      const { containers, c } = await pathContainer(req, api);
      for (const key of ['h', 'w']) {
        const v = req.query.get(key);
        if (v !== null && !/^\d+$/.test(v)) throw invalidArgument(`invalid value for "${key}": ${v}`);
      }
      if (!(await containers.status(c)).Running) throw failedPrecondition(`Container ${c.id} is not running`);
      // The size a pty gets is the one at start (HostConfig.ConsoleSize); a later resize is not passed on.
      res.head(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 0 });
      res.raw.end();
    },
  },
];
