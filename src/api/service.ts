/**
 * `strata system service`: the Engine API over HTTP/1.1 on the addresses asked for, on one
 * store opened once. Runs until SIGINT/SIGTERM, or until it was idle (no connection open)
 * for `idleTimeoutSeconds` (0: never).
 */
import type { Server } from 'node:http';
import type { Engine } from '../engine/index.ts';
import { bind, describeAddress, type ListenAddress } from './listeners.ts';
import { EventLog } from './events.ts';
import { apiServer } from './http-server.ts';
import { Router } from './router.ts';
import { ROUTES } from './routes/index.ts';
import type { TlsMode } from './tls.ts';

export interface ServiceOptions {
  addresses: ListenAddress[];
  /** TLS for the TCP listeners (unix and fd:// sockets are guarded by their file mode). */
  tls?: TlsMode;
  idleTimeoutSeconds: number;
  /** Lines for the operator (the TCP warning, where it listens). */
  log: (line: string) => void;
  /** Ends the service when it fires (the CLI's SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

/** How long a stop waits for cancelled requests to clean up. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Serves until stopped; resolves once every listener is closed and its socket removed. */
export async function runService(engine: Engine, options: ServiceOptions): Promise<void> {
  const router = new Router(ROUTES, { engine, events: new EventLog(engine.events) });
  const servers: Server[] = [];
  const undo: (() => void)[] = [];
  let open = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    clearTimeout(idleTimer);
    for (const server of servers) {
      server.close();
      // Requests in flight are cancelled: each removes what it had written (a load, a build)…
      server.closeAllConnections();
    }
    for (const step of undo) step();
    undo.length = 0;
    // …before the store is closed; one that does not finish in time is left as kill -9 leaves it.
    const grace = setTimeout(finish, SHUTDOWN_GRACE_MS);
    void router.settled().then(() => {
      clearTimeout(grace);
      finish();
    });
  };
  const armIdleTimer = (): void => {
    clearTimeout(idleTimer);
    if (options.idleTimeoutSeconds > 0 && open === 0) {
      idleTimer = setTimeout(() => {
        options.log(`no connection for ${options.idleTimeoutSeconds}s: exiting`);
        stop();
      }, options.idleTimeoutSeconds * 1000);
    }
  };

  try {
    for (const address of options.addresses) {
      const tls = address.kind === 'tcp' ? options.tls ?? { kind: 'none' } : { kind: 'none' as const };
      const server = apiServer(router, tls.kind === 'none' ? undefined : tls.options);
      server.on('connection', (socket) => {
        open++;
        clearTimeout(idleTimer);
        socket.once('close', () => {
          open--;
          armIdleTimer();
        });
      });
      servers.push(server);
      undo.push(await bind(server, address, options.log, tls.kind));
      const bound = server.address();
      // Port 0 asks for any free port: say which one.
      options.log(`API listening on ${describeAddress(address.kind === 'tcp' && typeof bound === 'object' && bound !== null ? { ...address, port: bound.port } : address)}`);
    }
  } catch (err) {
    stop();
    throw err;
  }
  if (options.signal?.aborted) stop();
  options.signal?.addEventListener('abort', stop, { once: true });
  armIdleTimer();
  await finished;
}
