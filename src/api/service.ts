/**
 * `strata system service`: the Engine API over HTTP/1.1 on the addresses asked for, on one
 * store opened once. Runs until SIGINT/SIGTERM, or until it was idle (no connection open)
 * for `idleTimeoutSeconds` (0: never).
 */
import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Engine } from '../engine/index.ts';
import { bind, describeAddress, type ListenAddress } from './listeners.ts';
import { EventLog } from './events.ts';
import { Router } from './router.ts';
import { ROUTES } from './routes/index.ts';

export interface ServiceOptions {
  addresses: ListenAddress[];
  idleTimeoutSeconds: number;
  /** Lines for the operator (the TCP warning, where it listens). */
  log: (line: string) => void;
  /** Ends the service when it fires (the CLI's SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

/** The largest request header dockerd's Go server takes is 1 MB; node's default (16 KB) is enough for every client here. */
const MAX_HEADER_SIZE = 64 * 1024;

/** Serves until stopped; resolves once every listener is closed and its socket removed. */
export async function runService(engine: Engine, options: ServiceOptions): Promise<void> {
  const router = new Router(ROUTES, { engine, events: new EventLog() });
  const servers: Server[] = [];
  const undo: (() => void)[] = [];
  let open = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const stop = (): void => {
    clearTimeout(idleTimer);
    for (const server of servers) {
      server.close();
      server.closeAllConnections();
    }
    for (const step of undo) step();
    undo.length = 0;
    finish();
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

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    void router.handle(req, res);
  };
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // An upgrade (attach, exec start) gets a response object bound to its socket.
    const res = new ServerResponse(req);
    res.assignSocket(socket as never);
    void router.handle(req, res, head);
  };

  try {
    for (const address of options.addresses) {
      const server = createServer({ maxHeaderSize: MAX_HEADER_SIZE, keepAliveTimeout: 30_000, requestTimeout: 0 }, handle);
      server.on('upgrade', onUpgrade);
      server.on('connection', (socket) => {
        open++;
        clearTimeout(idleTimer);
        socket.once('close', () => {
          open--;
          armIdleTimer();
        });
      });
      // A request node's parser refuses (oversized header, bad syntax): a 4xx that says why.
      server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
        if (!socket.writable) return socket.destroy();
        const [status, text] = err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
        const message = err.code === 'HPE_HEADER_OVERFLOW' ? `request header is larger than ${MAX_HEADER_SIZE} bytes` : `malformed HTTP request: ${err.message}`;
        const body = `${JSON.stringify({ message })}\n`;
        socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      });
      servers.push(server);
      undo.push(await bind(server, address, options.log));
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
