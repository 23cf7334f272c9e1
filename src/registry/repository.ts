/**
 * The distribution API of one repository: manifests (get, put), blobs (HEAD, GET with
 * Range, upload sessions with cross-repository mount, chunked or streamed PATCH, final
 * PUT) and the tag list.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { dataLoss, invalidArgument, StrataError } from '../errdefs/index.ts';
import {
  familiarName, MAX_MANIFEST_BYTES, MediaType, parseDigest, type Digest, type Reference,
} from '../oci/index.ts';
import { discard, readBody, type HttpResponse } from './http-transport.ts';
import type { RegistryClient } from './registry-client.ts';
import { bodyExcerpt, notJsonReason } from './registry-errors.ts';

/** Every manifest type strata reads, as docker sends them in Accept. */
export const MANIFEST_ACCEPT = [
  MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest,
  MediaType.dockerSchema1Signed, MediaType.dockerSchema1,
].join(', ');

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: Digest;
}

export type UploadStart = { kind: 'mounted' } | { kind: 'session'; location: string };

function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function encodeRef(ref: string): string {
  return ref.split('/').map(encodeURIComponent).join('/');
}

export class Repository {
  readonly pullScope: string;
  readonly pushScope: string;

  constructor(
    readonly client: RegistryClient,
    /** Path inside the registry: `library/nginx`. */
    readonly path: string,
  ) {
    this.pullScope = `repository:${path}:pull`;
    this.pushScope = `repository:${path}:pull,push`;
  }

  /** The name docker prints for this repository in messages: `nginx`, `localhost:5000/a/b`. */
  familiar(): string {
    return familiarName({ domain: this.client.domain, path: this.path });
  }

  private v2(suffix: string): string {
    return `/v2/${this.path}/${suffix}`;
  }

  /**
   * Fetches a manifest or index by tag or digest, refusing bodies over 4 MiB and bodies
   * that are not JSON, and checking a digest reference against the bytes.
   * @throws not-found (with the registry's words), invalid-argument, permission-denied, unavailable
   */
  async getManifest(reference: string, options: { signal?: AbortSignal; what: string; scopes?: string[] }): Promise<FetchedManifest> {
    const res = await this.client.send({
      method: 'GET', path: this.v2(`manifests/${encodeRef(reference)}`), headers: { accept: MANIFEST_ACCEPT },
      scopes: options.scopes ?? [this.pullScope], followRedirects: true, what: options.what, ...(options.signal ? { signal: options.signal } : {}),
    });
    if (res.status !== 200) throw await this.client.failure(res, 'GET');
    const declared = Number(header(res, 'content-length') ?? NaN);
    if (declared > MAX_MANIFEST_BYTES) {
      await discard(res.body);
      throw invalidArgument(`${options.what}: manifest is ${declared} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
    }
    const bytes = await readBody(res.body, MAX_MANIFEST_BYTES, `${options.what}: manifest`).catch((err: unknown) => {
      if (err instanceof StrataError && err.code === 'invalid-argument') {
        throw invalidArgument(`${options.what}: manifest is over the ${MAX_MANIFEST_BYTES}-byte limit`);
      }
      throw err;
    });
    const contentType = (header(res, 'content-type') ?? '').split(';')[0]?.trim() ?? '';
    try {
      JSON.parse(bytes.toString('utf8'));
    } catch {
      throw invalidArgument(`${options.what}: the registry answered with something that is not a manifest (${contentType || 'no content type'}): ${notJsonReason(bytes)}: ${bodyExcerpt(bytes)}`);
    }
    const digest: Digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.includes(':') && reference.startsWith('sha')) {
      const wanted = parseDigest(reference);
      if (wanted !== digest) throw invalidArgument(`manifest verification failed for digest ${wanted}`);
    }
    return { bytes, mediaType: contentType, digest };
  }

  /** The digest and media type a tag points at, without fetching the manifest. */
  async headManifest(reference: string, options: { signal?: AbortSignal; what: string }): Promise<{ digest?: Digest; mediaType: string; size: number } | undefined> {
    const res = await this.client.send({
      method: 'HEAD', path: this.v2(`manifests/${encodeRef(reference)}`), headers: { accept: MANIFEST_ACCEPT }, scopes: [this.pullScope], followRedirects: true,
      what: options.what, ...(options.signal ? { signal: options.signal } : {}),
    });
    await discard(res.body);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await this.client.failure(res, 'HEAD');
    const d = header(res, 'docker-content-digest');
    return {
      ...(d && /^sha256:[a-f0-9]{64}$/.test(d) ? { digest: d as Digest } : {}),
      mediaType: (header(res, 'content-type') ?? '').split(';')[0]?.trim() ?? '',
      size: Number(header(res, 'content-length') ?? 0),
    };
  }

  /**
   * Opens a blob for reading from `offset`. `ranged` says whether the registry honoured the
   * Range (206); when it did not, the body starts at byte 0.
   */
  async openBlob(digest: Digest, options: { offset?: number; signal?: AbortSignal; what: string }): Promise<{ body: Readable; size: number | undefined; ranged: boolean }> {
    const offset = options.offset ?? 0;
    const res = await this.client.send({
      method: 'GET', path: this.v2(`blobs/${digest}`), headers: offset > 0 ? { range: `bytes=${offset}-` } : {}, scopes: [this.pullScope],
      followRedirects: true, what: options.what, ...(options.signal ? { signal: options.signal } : {}),
    });
    if (res.status === 206 && offset > 0) {
      const range = /bytes (\d+)-/.exec(header(res, 'content-range') ?? '');
      if (range && Number(range[1]) !== offset) {
        res.body.destroy();
        throw dataLoss(`blob ${digest}: asked for bytes from ${offset}, the registry sent from ${range[1]}`);
      }
      return { body: res.body, size: Number(header(res, 'content-length') ?? NaN) + offset || undefined, ranged: true };
    }
    if (res.status === 200) {
      const length = Number(header(res, 'content-length') ?? NaN);
      return { body: res.body, size: Number.isFinite(length) ? length : undefined, ranged: false };
    }
    throw await this.client.failure(res, 'GET');
  }

  /** True when the repository holds the blob (HEAD 200). */
  async hasBlob(digest: Digest, options: { signal?: AbortSignal; scopes?: string[] } = {}): Promise<boolean> {
    const res = await this.client.send({
      method: 'HEAD', path: this.v2(`blobs/${digest}`), scopes: options.scopes ?? [this.pushScope], followRedirects: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await discard(res.body);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await this.client.failure(res, 'HEAD');
  }

  /**
   * Starts an upload; with `mount`, first asks the registry to link the blob from another
   * repository it holds (201: done, no bytes sent).
   */
  async startUpload(options: { mount?: { digest: Digest; from: string }; signal?: AbortSignal } = {}): Promise<UploadStart> {
    const scopes = [this.pushScope];
    let path = this.v2('blobs/uploads/');
    if (options.mount) {
      scopes.push(`repository:${options.mount.from}:pull`);
      path += `?mount=${encodeURIComponent(options.mount.digest)}&from=${encodeURIComponent(options.mount.from)}`;
    }
    const res = await this.client.send({ method: 'POST', path, scopes, body: Buffer.alloc(0), headers: { 'content-length': '0' }, ...(options.signal ? { signal: options.signal } : {}) });
    await discard(res.body);
    if (res.status === 201 && options.mount) return { kind: 'mounted' };
    if (res.status === 202) {
      const location = header(res, 'location');
      if (!location) throw new StrataError('unavailable', `${this.client.host}: upload started without a Location`);
      return { kind: 'session', location: new URL(location, res.url).toString() };
    }
    throw await this.client.failure(res, 'POST');
  }

  /**
   * Sends bytes to an upload session with PATCH: a known-length chunk with Content-Range,
   * or a stream of unknown length (chunked transfer encoding). Returns the next location.
   */
  async patchUpload(location: string, body: Buffer | Readable, options: { start?: number; signal?: AbortSignal } = {}): Promise<string> {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (Buffer.isBuffer(body)) {
      headers['content-length'] = String(body.length);
      const start = options.start ?? 0;
      if (body.length > 0) headers['content-range'] = `${start}-${start + body.length - 1}`;
    }
    const res = await this.client.send({
      method: 'PATCH', path: location, headers, body: Buffer.isBuffer(body) ? body : (): Readable => body, retry: false, scopes: [this.pushScope],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await discard(res.body);
    if (res.status !== 202 && res.status !== 204) throw await this.client.failure(res, 'PATCH');
    const next = header(res, 'location');
    return next ? new URL(next, res.url).toString() : location;
  }

  /** Closes an upload session with the blob's digest (and optionally its last bytes). */
  async finishUpload(location: string, digest: Digest, body?: Buffer | (() => Readable), options: { size?: number; signal?: AbortSignal } = {}): Promise<void> {
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (Buffer.isBuffer(body)) headers['content-length'] = String(body.length);
    else if (body === undefined) headers['content-length'] = '0';
    else if (options.size !== undefined) headers['content-length'] = String(options.size);
    const res = await this.client.send({
      method: 'PUT', path: url.toString(), headers, body: body ?? Buffer.alloc(0), retry: false, scopes: [this.pushScope],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await discard(res.body);
    if (res.status !== 201 && res.status !== 204) throw await this.client.failure(res, 'PUT');
  }

  /** Uploads a manifest under a tag or digest; returns the digest the registry computed. */
  async putManifest(reference: string, bytes: Buffer, mediaType: string, options: { signal?: AbortSignal } = {}): Promise<Digest> {
    const res = await this.client.send({
      method: 'PUT', path: this.v2(`manifests/${encodeRef(reference)}`), headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
      body: bytes, scopes: [this.pushScope], ...(options.signal ? { signal: options.signal } : {}),
    });
    await discard(res.body);
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) throw await this.client.failure(res, 'PUT');
    const ours: Digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const theirs = header(res, 'docker-content-digest');
    if (theirs !== undefined && theirs !== ours) throw dataLoss(`registry stored manifest ${reference} as ${theirs}, but its bytes hash to ${ours}`);
    return ours;
  }

  /** Every tag, following the `Link` header's pages. */
  async listTags(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = this.v2('tags/list?n=1000');
    for (let page = 0; path !== undefined && page < 1000; page++) {
      const res = await this.client.send({ method: 'GET', path, scopes: [this.pullScope], followRedirects: true, ...(options.signal ? { signal: options.signal } : {}) });
      if (res.status !== 200) throw await this.client.failure(res, 'GET');
      const body = await readBody(res.body, 16 * 1024 * 1024, 'tag list');
      let doc: { tags?: unknown };
      try {
        doc = JSON.parse(body.toString('utf8')) as { tags?: unknown };
      } catch {
        throw invalidArgument(`tag list of ${this.familiar()}: ${notJsonReason(body)}: ${bodyExcerpt(body)}`);
      }
      if (Array.isArray(doc.tags)) for (const t of doc.tags) if (typeof t === 'string') tags.push(t);
      const link = header(res, 'link');
      const next = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1] : undefined;
      path = next ? new URL(next, res.url).toString() : undefined;
    }
    return tags;
  }
}

/** The repository a reference names, on its registry's client. */
export function repositoryFor(client: RegistryClient, ref: Reference): Repository {
  return new Repository(client, ref.path);
}
