/**
 * The HTTP/1.1 server a router answers on: plain requests, upgraded ones (attach, exec
 * start), and requests node's parser refuses (an oversized header) answered in JSON.
 */
import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Router } from './router.ts';

/** The largest request header taken (dockerd's Go server takes 1 MB; node's default is 16 KB). */
export const MAX_HEADER_SIZE = 64 * 1024;

/** The server for one listener; with `tls`, HTTPS (a TCP listener given --tls or --tlsverify). */
export function apiServer(router: Router, tls?: TlsOptions): Server {
  const options = { maxHeaderSize: MAX_HEADER_SIZE, keepAliveTimeout: 30_000, requestTimeout: 0 };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void router.handle(req, res);
  };
  const server: Server = tls === undefined ? createServer(options, onRequest) : createTlsServer({ ...options, ...tls }, onRequest);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // An upgrade gets a response object bound to its socket, for an answer that is not one.
    const res = new ServerResponse(req);
    res.assignSocket(socket as never);
    void router.handle(req, res, head);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const overflow = err.code === 'HPE_HEADER_OVERFLOW';
    const body = `${JSON.stringify({ message: overflow ? `request header is larger than ${MAX_HEADER_SIZE} bytes` : `malformed HTTP request: ${err.message}` })}\n`;
    socket.end(`HTTP/1.1 ${overflow ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  return server;
}
