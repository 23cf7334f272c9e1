/** Keys of short-lived snapshots, naming the owning process so leftovers can be told apart. */
import { randomBytes } from 'node:crypto';
import { chainIds, type Digest } from '../oci/index.ts';

/** A key for a short-lived active snapshot, naming the owning process. */
export function temporaryKey(purpose: string): string {
  return `${purpose}-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** The pid a temporary key names, if it is one. */
export function temporaryKeyOwner(key: string): number | undefined {
  const m = /^[a-z]+-(\d+)-[0-9a-f]{12}$/.exec(key);
  return m ? Number(m[1]) : undefined;
}

export function chainIdOf(parent: string | undefined, diffId: Digest): Digest {
  return parent === undefined ? diffId : (chainIds([parent as Digest, diffId])[1] as Digest);
}
