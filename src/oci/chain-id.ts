/** Chain IDs: the identity of a stack of layers (OCI image-spec, "ChainID"). */
import { createHash } from 'node:crypto';
import type { Digest } from './digest.ts';

/** chainId([L0]) = L0; chainId([L0..Ln]) = sha256(chainId([L0..Ln-1]) + " " + Ln). */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  let previous: Digest | undefined;
  for (const diffId of diffIds) {
    const next: Digest = previous === undefined ? diffId : `sha256:${createHash('sha256').update(`${previous} ${diffId}`).digest('hex')}`;
    out.push(next);
    previous = next;
  }
  return out;
}

export function chainId(diffIds: readonly Digest[]): Digest | undefined {
  return chainIds(diffIds).at(-1);
}
