/**
 * TLS on the service's TCP listeners, with dockerd's flags: `--tls` encrypts, `--tlsverify`
 * also requires a client certificate signed by `--tlscacert` (so only holders of one get the
 * root-equivalent API). The files default to dockerd's: `$DOCKER_CERT_PATH` or `~/.docker`,
 * `ca.pem`, `cert.pem`, `key.pem`.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, type TlsOptions } from 'node:tls';
import { invalidArgument } from '../errdefs/index.ts';

export interface TlsFlags {
  tls: boolean;
  tlsverify: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

/** What a TCP listener serves: plain HTTP, TLS, or TLS that requires a client certificate. */
export type TlsMode = { kind: 'none' } | { kind: 'tls' | 'verify'; options: TlsOptions };

function certDir(env: NodeJS.ProcessEnv): string {
  return env['DOCKER_CERT_PATH'] || join(env['HOME'] || homedir(), '.docker');
}

function readPem(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw invalidArgument(`could not read --${flag} "${path}": ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
}

/** Reads and checks the certificate files before anything listens (a bad file stops the start). */
export function tlsMode(flags: TlsFlags, env: NodeJS.ProcessEnv = process.env): TlsMode {
  const given = flags.tlscacert !== undefined || flags.tlscert !== undefined || flags.tlskey !== undefined;
  if (!flags.tls && !flags.tlsverify) {
    if (given) throw invalidArgument('--tlscacert, --tlscert and --tlskey need --tls or --tlsverify');
    return { kind: 'none' };
  }
  const dir = certDir(env);
  const cert = readPem('tlscert', flags.tlscert ?? join(dir, 'cert.pem'));
  const key = readPem('tlskey', flags.tlskey ?? join(dir, 'key.pem'));
  const options: TlsOptions = { cert, key, minVersion: 'TLSv1.2' };
  if (flags.tlsverify) {
    options.ca = readPem('tlscacert', flags.tlscacert ?? join(dir, 'ca.pem'));
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  try {
    // Fails here, with the files named, rather than on the first connection.
    createSecureContext(options);
  } catch (err) {
    throw invalidArgument(`invalid TLS certificate or key (--tlscert, --tlskey${flags.tlsverify ? ', --tlscacert' : ''}): ${(err as Error).message}`);
  }
  return { kind: flags.tlsverify ? 'verify' : 'tls', options };
}
