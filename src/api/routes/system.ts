/** System endpoints: /_ping, /version, /info. */
import { hostname } from 'node:os';
import { serverVersion, systemInfo, API_VERSION } from '../../engine/system-info.ts';
import { invalidArgument, StrataError } from '../../errdefs/index.ts';
import { requestRegistries } from '../registry-auth.ts';
import type { Route } from '../router.ts';

export const systemRoutes: Route[] = [
  {
    method: 'GET',
    path: '/_ping',
    handler: async (_req, res) => {
      res.raw.setHeader('Builder-Version', '1');
      res.raw.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
      res.raw.setHeader('Pragma', 'no-cache');
      res.text(200, 'OK');
    },
  },
  {
    method: 'HEAD',
    path: '/_ping',
    handler: async (_req, res) => {
      res.raw.setHeader('Builder-Version', '1');
      res.raw.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
      res.raw.setHeader('Pragma', 'no-cache');
      res.head(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 0 });
      res.raw.end();
    },
  },
  {
    method: 'GET',
    path: '/version',
    handler: async (_req, res) => {
      const server = await serverVersion('strata');
      res.json(200, { ...server, GitCommit: '', GoVersion: process.version, BuildTime: '' });
    },
  },
  {
    method: 'GET',
    path: '/info',
    handler: async (_req, res, api) => {
      const { info, warning } = await systemInfo(api.engine);
      const cgroupV2 = true;
      res.json(200, {
        ...info,
        Name: hostname(),
        DriverStatus: [],
        Plugins: { Volume: ['local'], Network: ['host', 'null'], Authorization: null, Log: ['json-file'] },
        MemoryLimit: true, SwapLimit: true, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true, PidsLimit: true,
        IPv4Forwarding: false, Debug: false, NFd: 0, OomKillDisable: false, NGoroutines: 0,
        SystemTime: new Date().toISOString(),
        LoggingDriver: 'json-file',
        CgroupDriver: 'cgroupfs',
        CgroupVersion: cgroupV2 ? '2' : '1',
        NEventsListener: api.events.followers,
        IndexServerAddress: 'https://index.docker.io/v1/',
        RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['::1/128', '127.0.0.0/8'], Mirrors: [] },
        GenericResources: null,
        HttpProxy: '', HttpsProxy: '', NoProxy: '',
        Labels: [],
        ExperimentalBuild: false,
        Runtimes: { runc: { path: 'runc' } },
        LiveRestoreEnabled: true,
        Isolation: '',
        InitBinary: '',
        ContainerdCommit: { ID: '' },
        InitCommit: { ID: '' },
        SecurityOptions: ['name=seccomp,profile=builtin', 'name=cgroupns'],
        Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
        Warnings: warning === undefined ? [] : [`WARNING: ${warning}`],
        ApiVersion: API_VERSION,
      });
    },
  },
];

/** RFC 3339 with seconds, as Go marshals a time.Time. */
function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export const systemUsageRoutes: Route[] = [
  {
    method: 'GET',
    path: '/system/df',
    handler: async (req, res, api) => {
      const { diskUsage } = await import('../../engine/disk-usage.ts');
      const du = await diskUsage(api.engine);
      const types = req.query.getAll('type');
      const wants = (t: string): boolean => types.length === 0 || types.includes(t);
      res.json(200, {
        LayersSize: du.layersSize,
        Images: wants('image') ? du.images : [],
        Containers: wants('container') ? du.containers.map((c) => ({
          Id: c.id, Names: c.names.map((n) => `/${n}`), Image: c.image, Command: c.command, Created: c.created,
          State: c.state, Status: c.status, SizeRw: c.sizeRw, Mounts: [], Labels: {},
        })) : [],
        Volumes: wants('volume') ? du.volumes.map((v) => ({ Name: v.name, Driver: 'local', Scope: 'local', UsageData: { Size: v.size, RefCount: v.links } })) : [],
        BuildCache: wants('build-cache') ? du.buildCache.map((b) => ({
          ID: b.id, Parents: null, Type: b.type, Description: b.description, InUse: b.inUse, Shared: b.shared, Size: b.size,
          CreatedAt: isoTime(b.createdAt), LastUsedAt: isoTime(b.lastUsedAt), UsageCount: b.usageCount,
        })) : [],
      });
    },
  },
  {
    method: 'POST',
    path: '/auth',
    handler: async (req, res) => {
      const body = await req.json<{ username?: unknown; password?: unknown; serveraddress?: unknown; identitytoken?: unknown }>();
      if (body === undefined || typeof body !== 'object' || body === null) throw invalidArgument('invalid auth request: a JSON object with username, password and serveraddress is expected');
      const text = (v: unknown, field: string): string => {
        if (v === undefined || v === null) return '';
        if (typeof v !== 'string') throw invalidArgument(`invalid auth request: ${field} must be a string`);
        return v;
      };
      const username = text(body.username, 'username');
      const password = text(body.password, 'password');
      const identityToken = text(body.identitytoken, 'identitytoken');
      const { serverAddressKey } = await import('../../registry/index.ts');
      const { verifyCredentials } = await import('../../registry/login.ts');
      const serverKey = serverAddressKey(text(body.serveraddress, 'serveraddress') || undefined);
      const creds = { username, password, ...(identityToken !== '' ? { identityToken } : {}) };
      const registries = requestRegistries(() => creds);
      try {
        await verifyCredentials(registries, serverKey, creds, req.signal);
      } catch (err) {
        // dockerd answers a refused login with 401 and the registry's words.
        if (err instanceof StrataError && err.code === 'permission-denied') return res.json(401, { message: err.message });
        throw err;
      } finally {
        await registries.close();
      }
      res.json(200, { Status: 'Login Succeeded', IdentityToken: '' });
    },
  },
];
