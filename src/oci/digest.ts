/**
 * Content digests (`sha256:<64 hex>`), the identity of every blob, layer and image.
 */
import { createHash } from 'node:crypto';
import { invalidArgument } from '../errdefs/index.ts';

/** A validated `algorithm:hex` digest string. */
export type Digest = `sha256:${string}` | `sha512:${string}`;

const DIGEST_PATTERN = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST_PATTERN.test(value);
}

/**
 * Checks that `value` is a digest strata can verify.
 * @throws invalid-argument naming `what` when it is not.
 */
export function parseDigest(value: string, what = 'digest'): Digest {
  if (!isDigest(value)) {
    if (/^[a-z0-9]+([+._-][a-z0-9]+)*:/.test(value) && !value.startsWith('sha256:') && !value.startsWith('sha512:')) {
      throw invalidArgument(`${what}: unsupported digest algorithm in "${value}"`);
    }
    throw invalidArgument(`${what}: invalid digest "${value}": expected sha256: and 64 lowercase hex characters`);
  }
  return value;
}

export function digestAlgorithm(digest: Digest): 'sha256' | 'sha512' {
  return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}

/** The hex part of a digest, as used in `blobs/sha256/<hex>`. */
export function digestHex(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

export function sha256Of(data: Buffer | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** `sha256:abcdef…` → `abcdef012345`, the 12-character form docker shows. */
export function shortId(digestOrHex: string): string {
  const hex = digestOrHex.includes(':') ? digestOrHex.slice(digestOrHex.indexOf(':') + 1) : digestOrHex;
  return hex.slice(0, 12);
}
