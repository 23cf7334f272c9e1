/**
 * Image references as docker parses them: `nginx` → `docker.io/library/nginx:latest`,
 * `localhost:5000/a/b:tag`, `ghcr.io/o/r@sha256:…`, tag plus digest.
 * Pure: no I/O. Errors are docker's words (`invalid reference format`).
 */
import { invalidArgument } from '../errdefs/index.ts';
import { isDigest, type Digest } from './digest.ts';

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

export interface Reference {
  /** Registry host, with port if any: `docker.io`, `localhost:5000`. */
  domain: string;
  /** Repository path inside the registry: `library/nginx`. */
  path: string;
  tag?: string;
  digest?: Digest;
}

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][A-Fa-f0-9]{32,}';
const REFERENCE_PATTERN = new RegExp(`^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const TAG_PATTERN = new RegExp(`^${TAG}$`);
const HEX64 = /^[a-f0-9]{64}$/;

function splitDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  let domain: string;
  let path: string;
  if (slash === -1 || (!first.includes('.') && !first.includes(':') && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    path = name;
  } else {
    domain = first;
    path = name.slice(slash + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path;
  return { domain, path };
}

/**
 * Parses a reference as a user types it and normalises it (docker's ParseNormalizedNamed).
 * No tag and no digest is left as is; use `withDefaultTag` for docker's implicit `:latest`.
 * @throws invalid-argument `invalid reference format…`
 */
export function parseReference(text: string): Reference {
  if (text === '') throw invalidArgument('invalid reference format: repository name must have at least one component');
  if (HEX64.test(text)) {
    throw invalidArgument(`invalid repository name (${text}), cannot specify 64-byte hexadecimal strings`);
  }
  const match = REFERENCE_PATTERN.exec(text);
  if (!match) {
    // Name the common mistake the way docker does.
    const lower = text.toLowerCase();
    if (lower !== text && REFERENCE_PATTERN.test(lower.replace(/@.*$/, ''))) {
      // Drop the digest, then a tag (a colon after the last slash; an earlier one is a port).
      const withoutDigest = text.replace(/@.*$/, '');
      const lastSlash = withoutDigest.lastIndexOf('/');
      const colon = withoutDigest.indexOf(':', lastSlash + 1);
      const name = colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
      const { path } = splitDomain(name);
      throw invalidArgument(`invalid reference format: repository name (${path}) must be lowercase`);
    }
    throw invalidArgument(`invalid reference format: "${text}"`);
  }
  const [, name = '', tag, digest] = match;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalidArgument(`invalid reference format: repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const { domain, path } = splitDomain(name);
  if (path.toLowerCase() !== path) throw invalidArgument(`invalid reference format: repository name (${path}) must be lowercase`);
  const ref: Reference = { domain, path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) {
    if (!isDigest(digest)) throw invalidArgument(`invalid reference format: unsupported digest "${digest}"`);
    ref.digest = digest;
  }
  return ref;
}

/** Adds `:latest` when a reference has neither tag nor digest, as docker does. */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

/** `docker.io/library/nginx` */
export function repositoryName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** `nginx`, `user/app`, `localhost:5000/a/b`: the name as docker prints it. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return `${ref.domain}/${ref.path}`;
  return ref.path.startsWith(OFFICIAL_REPO_PREFIX) && ref.path.split('/').length === 2 ? ref.path.slice(OFFICIAL_REPO_PREFIX.length) : ref.path;
}

/** The full normalised form: `docker.io/library/nginx:latest`, `…@sha256:…`. */
export function formatReference(ref: Reference): string {
  return `${repositoryName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The familiar form docker prints: `nginx:latest`, `user/app@sha256:…`. */
export function familiarString(ref: Reference): string {
  return `${familiarName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}
