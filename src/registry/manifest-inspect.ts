/**
 * `manifest inspect`: a remote manifest or index, printed as docker prints it — the
 * registry's bytes re-indented (Go's json.Indent: tabs for a manifest, three spaces for a
 * list), or with `--verbose` docker's ImageManifest records (Ref, Descriptor, Raw, and the
 * parsed manifest).
 */
import { indentJson } from '@strata/go-template';
import { isSchema1MediaType, MediaType, parseManifestBytes, parseReference, formatReference, withDefaultTag, type Descriptor, type Reference } from '../oci/index.ts';
import { invalidArgument, notFound } from '../errdefs/index.ts';
import type { Registries } from './registry-client.ts';
import { RegistryResponseError } from './registry-errors.ts';
import { Repository, type FetchedManifest } from './repository.ts';

interface VerboseRecord {
  Ref: string;
  Descriptor: Record<string, unknown>;
  Raw: string;
  SchemaV2Manifest?: unknown;
  OCIManifest?: unknown;
}

function verboseRecord(ref: Reference, fetched: FetchedManifest, descriptor?: Descriptor): VerboseRecord {
  const parsed = JSON.parse(fetched.bytes.toString('utf8')) as unknown;
  const mediaType = (parsed as { mediaType?: string }).mediaType ?? fetched.mediaType;
  const record: VerboseRecord = {
    Ref: formatReference(ref),
    Descriptor: {
      mediaType,
      digest: fetched.digest,
      size: fetched.bytes.length,
      ...(descriptor?.platform ? { platform: descriptor.platform } : {}),
    },
    Raw: fetched.bytes.toString('base64'),
  };
  if (mediaType === MediaType.dockerManifest) record.SchemaV2Manifest = parsed;
  else record.OCIManifest = parsed;
  return record;
}

/**
 * The text `manifest inspect` prints for `reference`.
 * @throws not-found `no such manifest: …`, invalid-argument for schema 1, and the registry's errors
 */
export async function inspectRemoteManifest(registries: Registries, reference: string, options: { verbose?: boolean; signal?: AbortSignal } = {}): Promise<string> {
  const ref = withDefaultTag(parseReference(reference));
  const repo = new Repository(registries.client(ref.domain), ref.path);
  const what = `manifest for ${formatReference(ref)}`;
  let top: FetchedManifest;
  try {
    top = await repo.getManifest(ref.digest ?? ref.tag ?? 'latest', { what, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (err) {
    if (err instanceof RegistryResponseError && err.status === 404) throw notFound(`no such manifest: ${formatReference(ref)}`, { cause: err });
    throw err;
  }
  if (isSchema1MediaType(top.mediaType)) throw invalidArgument(`${formatReference(ref)}: schema 1 manifests are not supported`);
  const parsed = parseManifestBytes(top.bytes, what, top.mediaType || undefined);
  if (!options.verbose) return indentJson(top.bytes.toString('utf8'), parsed.kind === 'index' ? '   ' : '\t');
  if (parsed.kind === 'manifest') return JSON.stringify(verboseRecord(ref, top), null, '\t');
  const records: VerboseRecord[] = [];
  for (const d of parsed.index.manifests) {
    const child = await repo.getManifest(d.digest, { what: `manifest ${d.digest}`, ...(options.signal ? { signal: options.signal } : {}) });
    records.push(verboseRecord({ domain: ref.domain, path: ref.path, digest: d.digest }, child, d));
  }
  return JSON.stringify(records, null, '\t');
}
