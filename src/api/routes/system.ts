/** System endpoints: /_ping, /version, /info. */
import { hostname } from 'node:os';
import { serverVersion, systemInfo, API_VERSION } from '../../engine/system-info.ts';
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
