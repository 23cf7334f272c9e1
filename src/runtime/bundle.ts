/**
 * An OCI bundle on disk: `config.json` plus the hosts, hostname and resolv.conf files the
 * spec bind-mounts, all in the bundle directory the caller gives (usually the container's
 * own directory, as docker keeps them in /var/lib/docker/containers/<id>/).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fromSystemError } from '../errdefs/index.ts';
import { crashPoint, writeFileAtomic } from '../internal/index.ts';
import { hostnameFileContent, hostsFileContent, resolvConfContent } from './etc-files.ts';
import { hostDevices, probeHost, type HostInfo } from './host-info.ts';
import type { ImageRunConfig } from './image-config.ts';
import { recursiveReadOnlySupport, type RuntimeMountFeatures } from './read-only-binds.ts';
import { mkdirInRootfs, readRootfsFile } from './rootfs-path.ts';
import type { RunOptions } from './run-options.ts';
import { buildSpec, serializeSpec, type SpecResult } from './spec.ts';

export interface BundleInput {
  /** Where config.json and the /etc files go; created if missing. */
  bundleDir: string;
  /** The container's mounted root filesystem (from snapshots/). */
  rootfs: string;
  image?: ImageRunConfig;
  options: RunOptions;
  /** Host facts; `probeHost()` when absent. */
  host?: HostInfo;
  /** The OCI runtime that will run it, asked whether it can do `rro` mounts; assumed it can when absent. */
  runtime?: RuntimeMountFeatures;
}

/**
 * A bundle is written again at every start, so without fsync: readers see the old content or
 * the new, and an fsync would cost ~7 ms on every `run`.
 */
const NOT_DURABLE = { durable: false } as const;

export interface Bundle extends SpecResult {
  bundleDir: string;
  configPath: string;
}

/**
 * Generates the spec and writes the bundle: reads the rootfs's /etc/passwd and /etc/group
 * without following links out of it, writes hosts/hostname/resolv.conf and config.json,
 * and creates the working directory in the rootfs (root-owned, 0755, as docker does) when
 * `-w` or the image names one.
 * @throws invalid-argument for bad options (see `buildSpec`); failed-precondition for a
 *   read-only bind that can't be made read-only all the way down (see read-only-binds.ts);
 *   not-found/permission-denied from the filesystem.
 */
export function createBundle(input: BundleInput): Bundle {
  const host = input.host ?? probeHost();
  const { bundleDir, rootfs, options } = input;
  try {
    mkdirSync(bundleDir, { recursive: true, mode: 0o711 });
  } catch (err) {
    throw fromSystemError(err, `create bundle ${bundleDir}`);
  }
  const userDb: { passwd?: string; group?: string } = {};
  const passwd = readRootfsFile(rootfs, '/etc/passwd');
  const group = readRootfsFile(rootfs, '/etc/group');
  if (passwd !== undefined) userDb.passwd = passwd.toString('utf8');
  if (group !== undefined) userDb.group = group.toString('utf8');

  const etcFiles = { hosts: join(bundleDir, 'hosts'), hostname: join(bundleDir, 'hostname'), resolvConf: join(bundleDir, 'resolv.conf') };
  const result = buildSpec({
    rootfs, image: input.image, options, userDb, etcFiles, host,
    recursiveReadOnly: recursiveReadOnlySupport(options.mounts ?? [], host.kernelRelease, input.runtime),
    ...(options.privileged ? { privilegedDevices: hostDevices() } : {}),
  });
  const network = options.network === 'host' ? 'host' : 'none';
  writeFileAtomic(etcFiles.hostname, hostnameFileContent(result.hostname), NOT_DURABLE);
  writeFileAtomic(etcFiles.hosts, hostsFileContent({ network, hostHosts: host.hostsFile, extraHosts: [...(options.extraHosts ?? []), ...(options.ownHosts ?? [])] }), NOT_DURABLE);
  writeFileAtomic(etcFiles.resolvConf, resolvConfContent({
    network, hostResolvConf: host.resolvConf, resolvers: options.resolvers ?? [], dns: options.dns ?? [], dnsSearch: options.dnsSearch ?? [], dnsOptions: options.dnsOptions ?? [],
  }), NOT_DURABLE);
  if (options.workdir !== undefined || (input.image?.WorkingDir ?? '') !== '') mkdirInRootfs(rootfs, result.cwd);
  const configPath = join(bundleDir, 'config.json');
  writeFileAtomic(configPath, serializeSpec(result.spec), NOT_DURABLE);
  crashPoint('bundle-write');
  return { ...result, bundleDir, configPath };
}
