/**
 * A container's stdio through the service. A client that attaches before the start (what
 * `docker run` and `docker start -a` do) gets the process's own stdio: the start then runs
 * the container attached to the service, stdin from that client, output framed to every
 * client attached; its supervisor keeps the json-file log all the same, and the container
 * keeps running should the service die. A client that attaches to a running container
 * follows its log.
 */
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { Container, ContainerManager } from '../containers/index.ts';
import type { Engine } from '../engine/index.ts';
import { readLogs, type StartedContainer } from '../runtime/index.ts';
import type { Attachment, ContainerSessions } from './container-sessions.ts';
import type { ApiRequest, ApiResponse } from './router.ts';
import { MULTIPLEXED, RAW_STREAM, writeOutput, writeOutputPaced, type StdStream } from './stdio-frames.ts';

/**
 * What a `--rm` container's supervisor runs after a detached exit: this same program's
 * `rm -v -f ID` on this store (as the CLI's own hook does).
 */
export function removeCommand(engine: Engine, id: string): string[] {
  const script = process.argv[1];
  if (script === undefined) return [];
  return [process.execPath, ...process.execArgv, script, '--root', engine.root, '--storage-driver', engine.snapshotter.driver, 'rm', '-v', '-f', id];
}

/**
 * The JSON body of a request that asked for the upgrade: node's parser hands the bytes past
 * the headers over with the connection, so they are read from the socket, and what follows
 * them is put back for the stream.
 */
export function readUpgradedBody(socket: Readable, length: number): Promise<Buffer> {
  if (length <= 0) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size < length) return;
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
      const all = Buffer.concat(chunks);
      if (all.length > length) socket.unshift(all.subarray(length));
      resolve(all.subarray(0, length));
    };
    const onEnd = (): void => reject(new Error('the connection ended inside the request body'));
    socket.on('data', onData);
    socket.once('end', onEnd);
  });
}

/**
 * Takes the connection over for a stdio stream. A client that resets it (closing with
 * unread output) makes the next read or write fail: that ends this stream, never the service.
 */
export function hijackStdio(res: ApiResponse, tty: boolean): Socket {
  const socket = res.hijack(tty ? RAW_STREAM : MULTIPLEXED);
  socket.on('error', () => socket.destroy());
  return socket;
}

/**
 * The client's stream: the hijacked connection when it asked for the upgrade (input and
 * output), else the response body (output only), as dockerd answers either.
 */
export function openStdio(req: ApiRequest, res: ApiResponse, tty: boolean): { output: Writable; input?: Readable } {
  const type = tty ? RAW_STREAM : MULTIPLEXED;
  const upgrade = (req.header('connection') ?? '').toLowerCase().includes('upgrade');
  if (upgrade) {
    const socket = hijackStdio(res, tty);
    return { output: socket, input: socket };
  }
  res.head(200, { 'Content-Type': type });
  res.raw.flushHeaders();
  return { output: res.raw };
}

function closed(stream: Readable | null | undefined): Promise<void> {
  if (!stream || stream.destroyed || stream.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('close', resolve);
    stream.once('end', resolve);
  });
}

/** Relays a process's stdio to its clients until it exits; returns the exit status. */
export async function relayProcess(started: StartedContainer, clients: Attachment[], tty: boolean): Promise<number> {
  // A client slower than the process pauses the pipe until it has taken what it was sent
  // (or went away), so its output never piles up in the service's memory.
  const send = (stream: StdStream, source: Readable) => (chunk: Buffer): void => {
    for (const a of clients) {
      if (!a[stream] || !writeOutput(a.output, stream, chunk, tty) || !a.output.writableNeedDrain) continue;
      source.pause();
      const resume = (): void => {
        a.output.off('drain', resume);
        a.output.off('close', resume);
        if (!clients.some((o) => o.output.writableNeedDrain && !o.output.destroyed)) source.resume();
      };
      a.output.once('drain', resume);
      a.output.once('close', resume);
    }
  };
  if (started.stdout) started.stdout.on('data', send('stdout', started.stdout));
  if (started.stderr) started.stderr.on('data', send('stderr', started.stderr));
  const input = clients.find((a) => a.stdin)?.input;
  const stdin = started.stdin;
  if (input && stdin) {
    stdin.on('error', () => { /* the process exited before reading it all */ });
    input.on('data', (chunk: Buffer) => { if (!stdin.destroyed) stdin.write(chunk); });
    // The client closed its side: the process sees the end of its input (docker's StdinOnce).
    input.once('end', () => stdin.end());
    input.resume();
  }
  try {
    return (await started.wait()).exitCode;
  } finally {
    await Promise.all([closed(started.stdout), closed(started.stderr)]);
  }
}

function endClients(clients: Attachment[]): void {
  for (const a of clients) {
    if (!a.output.destroyed) a.output.end();
  }
}

/**
 * Starts a container its clients are attached to; resolves once it runs. The rest (relay,
 * exit, clean-up, `--rm`) goes on in the background.
 */
export async function startAttached(
  engine: Engine, containers: ContainerManager, sessions: ContainerSessions, c: Container, clients: Attachment[],
): Promise<void> {
  const openStdin = c.stored.config.OpenStdin && clients.some((a) => a.stdin);
  const [rows, cols] = c.stored.host.ConsoleSize;
  let started: StartedContainer | undefined;
  try {
    started = await containers.start(c, {
      attach: true, stdin: openStdin, stdio: ['pipe', 'pipe', 'pipe'], sigProxy: false, removeCommand: removeCommand(engine, c.id),
      ...(rows > 0 && cols > 0 ? { consoleSize: { height: rows, width: cols } } : {}),
    });
  } catch (err) {
    endClients(clients);
    throw err;
  }
  if (started === undefined) {
    endClients(clients);
    return;
  }
  const running = started;
  void (async () => {
    try {
      const exitCode = await relayProcess(running, clients, c.stored.run.tty === true);
      sessions.recordExit(c.id, exitCode);
      await containers.afterExit(c);
    } catch {
      // The supervisor recorded the exit; its state file says what happened.
    } finally {
      running.release?.();
      endClients(clients);
    }
  })();
}

/** Follows a running container's log for an attach that came after its start. */
export async function followOutput(containers: ContainerManager, c: Container, client: Attachment, fromStart: boolean, follow: boolean): Promise<void> {
  const controller = new AbortController();
  client.output.once('close', () => controller.abort());
  const tty = c.stored.run.tty === true;
  if (fromStart) {
    // docker-py reads the 101 answer through a buffered reader, then the socket under it:
    // frames that arrive with the answer's headers are lost to it. dockerd's own set-up
    // gives the client that moment; the log replay waits for it too.
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  try {
    const entries = readLogs(containers.logPath(c), {
      follow,
      ...(fromStart ? {} : { tail: 0 }),
      done: async () => !(await containers.status(c)).Running,
      signal: controller.signal,
      pollInterval: 5000,
    });
    for await (const entry of entries) {
      if (client[entry.stream] && !(await writeOutputPaced(client.output, entry.stream, Buffer.from(entry.log), tty))) break;
    }
  } catch {
    // No log yet (never started) or the client went away: nothing more to send.
  } finally {
    if (!client.output.destroyed) client.output.end();
  }
}
