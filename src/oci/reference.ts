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
const NAME_PATTERN = new RegExp(`^(?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)$`);
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
 * Parses a reference as a user types it and normalises it, deciding and wording as docker's
 * ParseNormalizedNamed does: the domain is split off the whole text first, the repository part
 * (up to the first `:`) must be lowercase, then the normalised text must match the grammar, its
 * path be at most 255 characters and its digest one strata can verify.
 * No tag and no digest is left as is; use `withDefaultTag` for docker's implicit `:latest`.
 * @throws invalid-argument with docker's message; the generic `invalid reference format` also
 *   names the input.
 */
export function parseReference(text: string): Reference {
  if (HEX64.test(text)) {
    throw invalidArgument(`invalid repository name (${text}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain, path: remainder } = splitDomain(text);
  const tagSeparator = remainder.indexOf(':');
  const remote = tagSeparator === -1 ? remainder : remainder.slice(0, tagSeparator);
  if (remote.toLowerCase() !== remote) throw invalidArgument(`invalid reference format: repository name (${remote}) must be lowercase`);
  const normalised = `${domain}/${remainder}`;
  const match = REFERENCE_PATTERN.exec(normalised);
  if (!match) {
    if (REFERENCE_PATTERN.test(normalised.toLowerCase())) throw invalidArgument('repository name must be lowercase');
    throw invalidArgument(`invalid reference format: "${text}"`);
  }
  const [, name = '', tag, digest] = match;
  // The limit is on the path as the grammar splits the name (docker.io/library/… counts from library/).
  if ((NAME_PATTERN.exec(name)?.[2] ?? name).length > NAME_TOTAL_LENGTH_MAX) {
    throw invalidArgument(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const ref: Reference = { domain, path: name.slice(domain.length + 1) };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = checkDigest(digest);
  return ref;
}

const DIGEST_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const DIGEST_ANCHORED = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** A reference's digest, with go-digest's errors; sha384, which docker takes, strata cannot verify. */
function checkDigest(digest: string): Digest {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  const length = DIGEST_LENGTHS[algorithm];
  if (length === undefined || !Object.hasOwn(DIGEST_LENGTHS, algorithm)) {
    throw invalidArgument(DIGEST_ANCHORED.test(digest) ? 'unsupported digest algorithm' : 'invalid checksum digest format');
  }
  if (encoded.length !== length) throw invalidArgument('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(encoded)) throw invalidArgument('invalid checksum digest format');
  if (!isDigest(digest)) throw invalidArgument(`unsupported digest algorithm: strata cannot verify ${algorithm} content`);
  return digest;
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
