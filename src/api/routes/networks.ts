/**
 * Network endpoints: the networks strata has without a network driver, `none` (a loopback
 * only) and `host` (the host's own), as dockerd shows its predefined ones.
 */
import { createHash } from 'node:crypto';
import { notFound } from '../../errdefs/index.ts';
import type { Route } from '../router.ts';

const CREATED = new Date(0).toISOString();

function predefined(name: 'none' | 'host'): Record<string, unknown> {
  return {
    Name: name,
    Id: createHash('sha256').update(`strata-network-${name}`).digest('hex'),
    Created: CREATED,
    Scope: 'local',
    Driver: name === 'none' ? 'null' : 'host',
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: null },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: {},
    Labels: {},
  };
}

const NETWORKS = [predefined('none'), predefined('host')];

function find(ref: string): Record<string, unknown> {
  const found = NETWORKS.find((n) => n['Name'] === ref || n['Id'] === ref) ?? NETWORKS.find((n) => ref.length > 0 && (n['Id'] as string).startsWith(ref));
  if (found === undefined) throw notFound(`network ${ref} not found`);
  return found;
}

export const networkRoutes: Route[] = [
  {
    method: 'GET',
    path: '/networks',
    handler: async (_req, res) => res.json(200, NETWORKS),
  },
  {
    method: 'GET',
    path: '/networks/{id}',
    handler: async (req, res) => res.json(200, find(req.param('id'))),
  },
  {
    method: 'POST',
    path: '/networks/prune',
    // The predefined networks are never pruned, and strata has no others yet.
    handler: async (_req, res) => res.json(200, { NetworksDeleted: null }),
  },
];
