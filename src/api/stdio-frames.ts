/**
 * docker's stdio streams over HTTP: without a TTY each chunk goes in an 8-byte header
 * (stream type 0 stdin, 1 stdout, 2 stderr; three zero bytes; the size, big-endian), with
 * one the bytes go raw (stdout and stderr are one pty).
 */
import type { Writable } from 'node:stream';

export type StdStream = 'stdout' | 'stderr';

export const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';
export const RAW_STREAM = 'application/vnd.docker.raw-stream';

export function frame(stream: StdStream, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Writes output to a client, framed unless `tty`; false once the client is gone. */
export function writeOutput(out: Writable, stream: StdStream, payload: Buffer, tty: boolean): boolean {
  if (out.destroyed || out.writableEnded) return false;
  out.write(tty ? payload : frame(stream, payload));
  return true;
}

/**
 * The same, resolving once the client has taken it (its buffer drained) or is gone: what
 * a log reader awaits, so a slow client slows the reading instead of filling memory.
 */
export async function writeOutputPaced(out: Writable, stream: StdStream, payload: Buffer, tty: boolean): Promise<boolean> {
  if (!writeOutput(out, stream, payload, tty)) return false;
  if (!out.writableNeedDrain) return true;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
  return !out.destroyed;
}
