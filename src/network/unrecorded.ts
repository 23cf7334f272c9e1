/**
 * The network of a container the store keeps no record of (a build step's: `attach` with
 * `recorded: false`), found and torn down from its directory alone. Its `network.json` is
 * written before anything is set up, so a directory without it holds nothing; a killed
 * build leaves such a directory, and whoever cleans up after it calls `detachUnrecorded`.
 */
import { existsSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { failedPrecondition } from '../errdefs/index.ts';
import { readNetworkStatus } from './container-networking.ts';
import { HostLeases } from './host-leases.ts';
import { cleanUpFirewall, findTools, runTeardown } from './netavark.ts';

/** The id of the container whose network is (or may be) set up from `dir`, or undefined. */
export function unrecordedNetwork(dir: string): string | undefined {
  const status = readNetworkStatus(dir);
  return status === undefined ? undefined : basename(status.netns);
}

/**
 * Tears down what `attach` made from `dir` (whatever step it got to): netavark's veth and
 * rules, the namespace's mount, the host-wide address lease; then netavark's base chains
 * once no container uses them.
 * @throws failed-precondition when the namespace stays mounted (then `network.json` stays,
 *   so a later call retries)
 */
export function detachUnrecorded(root: string, dir: string): void {
  const status = readNetworkStatus(dir);
  if (status === undefined) return;
  const tools = findTools(join(root, 'netavark'));
  if (existsSync(join(dir, 'netavark.json')) || existsSync(status.netns)) runTeardown(tools, dir, status.netns);
  if (existsSync(status.netns)) throw failedPrecondition(`network namespace ${status.netns} is still mounted`);
  new HostLeases().release(dir);
  rmSync(join(dir, 'netavark.released'), { force: true });
  rmSync(join(dir, 'network.json'), { force: true });
  cleanUpFirewall(tools);
}
