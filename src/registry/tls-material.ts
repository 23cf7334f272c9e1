/**
 * TLS trust for a registry host, as docker builds it: the system's CA bundle (Node ships
 * Mozilla's list but ignores the distribution's store, where local CAs are installed) plus
 * `<certs.d>/<host[:port]>/*.crt`; client certificates from `*.cert` with the matching
 * `*.key`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import { fromSystemError, invalidArgument } from '../errdefs/index.ts';

export interface TlsMaterial {
  ca: string[];
  cert?: string;
  key?: string;
  /** The files the material came from, for error messages. */
  sources: string[];
}

const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];
let systemCas: string[] | undefined;

function systemCertificates(): string[] {
  if (systemCas === undefined) {
    systemCas = [...rootCertificates];
    const bundle = SYSTEM_BUNDLES.find((p) => existsSync(p));
    if (bundle !== undefined) {
      try {
        systemCas.push(readFileSync(bundle, 'utf8'));
      } catch {
        // An unreadable system bundle leaves Node's own list.
      }
    }
  }
  return systemCas;
}

/**
 * The CAs and client certificate to use for `hostPort`.
 * @throws invalid-argument when a `.cert` has no `.key` (or the reverse), as docker refuses that too
 */
export function tlsMaterial(hostPort: string, certsDirs: readonly string[], options: { withSystemCas?: boolean } = {}): TlsMaterial {
  const material: TlsMaterial = { ca: options.withSystemCas === false ? [] : systemCertificates(), sources: [] };
  const extraCas: string[] = [];
  for (const base of certsDirs) {
    const dir = join(base, hostPort);
    if (!existsSync(dir)) continue;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      throw fromSystemError(err, `read ${dir}`);
    }
    for (const name of names) {
      const path = join(dir, name);
      if (name.endsWith('.crt')) {
        extraCas.push(readFileSync(path, 'utf8'));
        material.sources.push(path);
      } else if (name.endsWith('.cert')) {
        const keyName = `${name.slice(0, -'.cert'.length)}.key`;
        if (!names.includes(keyName)) throw invalidArgument(`missing key ${keyName} for client certificate ${name} in ${dir}`);
        if (material.cert === undefined) {
          material.cert = readFileSync(path, 'utf8');
          material.key = readFileSync(join(dir, keyName), 'utf8');
          material.sources.push(path);
        }
      } else if (name.endsWith('.key')) {
        const certName = `${name.slice(0, -'.key'.length)}.cert`;
        if (!names.includes(certName)) throw invalidArgument(`missing client certificate ${certName} for key ${name} in ${dir}`);
      }
    }
    // docker reads the first directory that exists for the host.
    break;
  }
  if (extraCas.length > 0) material.ca = [...material.ca, ...extraCas];
  return material;
}
