import { randomBytes } from 'node:crypto';

/** 64 hex characters, the shape docker uses for container and cache IDs. */
export function randomHexId(): string {
  return randomBytes(32).toString('hex');
}
