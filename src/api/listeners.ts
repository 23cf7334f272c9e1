/**
 * Where the service listens: `unix://PATH` (created atomically, mode 0660, group `strata`),
 * `tcp://ADDR:PORT` (only when asked, with a warning), `fd://` (systemd socket activation).
 */
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { failedPrecondition, fromSystemError, invalidArgument } from '../errdefs/index.ts';
import type { TlsMode } from './tls.ts';

export type ListenAddress =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'fd' };

export const DEFAULT_SOCKET = '/run/strata/strata.sock';

/** Parses one `-H` value as dockerd does (`unix:///path`, `tcp://host:port`, `fd://`). */
export function parseListenAddress(value: string): ListenAddress {
  if (value === 'fd://') return { kind: 'fd' };
  const unix = /^unix:\/\/(\/.+)$/.exec(value);
  if (unix !== null) return { kind: 'unix', path: unix[1] as string };
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]*):(\d+)\/?$/.exec(value);
  if (tcp !== null) {
    const port = Number(tcp[2]);
    if (port > 65535) throw invalidArgument(`invalid -H "${value}": port ${port} is out of range`);
    const host = (tcp[1] as string).replace(/^\[|\]$/g, '');
    return { kind: 'tcp', host: host === '' ? '0.0.0.0' : host, port };
  }
  throw invalidArgument(`invalid -H "${value}": use unix:///path/to/socket, tcp://ADDR:PORT or fd://`);
}

export function describeAddress(address: ListenAddress): string {
  switch (address.kind) {
    case 'unix':
      return `unix://${address.path}`;
    case 'tcp':
      return `tcp://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
    case 'fd':
      return 'fd://';
  }
}

/** The gid of group `strata`, when the host has one (as dockerd gives its socket to `docker`). */
function strataGroup(): number | undefined {
  try {
    const line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.startsWith('strata:'));
    const gid = line?.split(':')[2];
    return gid === undefined || gid === '' ? undefined : Number(gid);
  } catch {
    return undefined;
  }
}

/** Whether a service answers on the socket at `path` (a stale socket file refuses the connection). */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function listen(server: Server, options: { path: string } | { host: string; port: number } | { fd: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Binds `server` to a unix socket without a moment where the path exists with the wrong
 * mode or owner: bound under a temporary name, given its mode and group, then linked into
 * place (link, unlike rename, fails when the path exists, so a live service is never
 * replaced). Returns the inode that is ours, so shutdown removes only our own socket.
 */
async function listenUnix(server: Server, path: string): Promise<number> {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw fromSystemError(err, `create ${dir}`);
  }
  const temporary = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  rmSync(temporary, { force: true });
  try {
    await listen(server, { path: temporary });
  } catch (err) {
    throw fromSystemError(err, `listen on unix://${path}`);
  }
  try {
    chmodSync(temporary, 0o660);
    const gid = strataGroup();
    if (gid !== undefined) chownSync(temporary, 0, gid);
    try {
      linkSync(temporary, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (!lstatSync(path).isSocket()) throw failedPrecondition(`cannot listen on unix://${path}: the path exists and is not a socket`);
      if (await socketAnswers(path)) {
        throw failedPrecondition(`another service is already listening on unix://${path}`, { hint: 'stop it first, or give this one another socket with -H unix:///path' });
      }
      // Left by a service that died: ours replaces it.
      renameSync(temporary, path);
    }
    rmSync(temporary, { force: true });
    return statSync(path).ino;
  } catch (err) {
    server.close();
    rmSync(temporary, { force: true });
    throw fromSystemError(err, `listen on unix://${path}`);
  }
}

/** Binds `server` to one address; returns what to undo at shutdown. `tls` says what a TCP listener serves. */
export async function bind(server: Server, address: ListenAddress, warn: (line: string) => void, tls: TlsMode['kind'] = 'none'): Promise<() => void> {
  switch (address.kind) {
    case 'unix': {
      const ino = await listenUnix(server, address.path);
      return () => {
        try {
          if (statSync(address.path).ino === ino) rmSync(address.path, { force: true });
        } catch {
          // Gone already.
        }
      };
    }
    case 'tcp': {
      try {
        await listen(server, { host: address.host, port: address.port });
      } catch (err) {
        throw fromSystemError(err, `listen on ${describeAddress(address)}`);
      }
      const bound = server.address();
      const port = typeof bound === 'object' && bound !== null ? bound.port : address.port;
      // dockerd's warnings: only a verified client certificate keeps strangers out.
      if (tls === 'none') warn(`WARNING: API is accessible on http://${describeAddress({ ...address, port }).slice('tcp://'.length)} without encryption.\n         Access to the remote API is equivalent to root access on the host. Refer\n         to the 'Docker daemon attack surface' section in the documentation for\n         more information: https://docs.docker.com/go/attack-surface/`);
      if (tls === 'tls') warn('WARNING: [!] DON\'T BIND ON ANY IP ADDRESS WITHOUT setting --tlsverify IF YOU DON\'T KNOW WHAT YOU\'RE DOING [!]');
      return () => undefined;
    }
    case 'fd': {
      // systemd passes the sockets from fd 3 on, and says how many in LISTEN_FDS.
      const count = Number(process.env['LISTEN_FDS'] ?? '0');
      if (!(count >= 1) || process.env['LISTEN_PID'] !== String(process.pid)) {
        throw invalidArgument('-H fd:// needs socket activation: no sockets were passed (LISTEN_FDS, LISTEN_PID)');
      }
      try {
        await listen(server, { fd: 3 });
      } catch (err) {
        throw fromSystemError(err, 'listen on fd://');
      }
      return () => undefined;
    }
  }
}
