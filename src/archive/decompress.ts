/**
 * Tells compressed input from plain by its magic bytes and undoes gzip or zstd while
 * streaming (gzip through node:zlib, zstd through the `zstd` CLI: Node 20 has none). A
 * decoder's failure becomes an error naming the input and saying whether it is cut short
 * (truncated) or damaged; the decompressed stream ends only once the decoder said it is whole.
 */
import { spawn } from 'node:child_process';
import { createGunzip } from 'node:zlib';
import { PassThrough, type Readable } from 'node:stream';
import { sniffCompression, type SniffedCompression } from '../diff/index.ts';
import { invalidArgument, unavailable, type StrataError } from '../errdefs/index.ts';

export type Compression = SniffedCompression;

/** Reads the first bytes of a stream without losing them. */
export async function peek(source: Readable, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let have = 0;
  const iterator = source[Symbol.asyncIterator]();
  while (have < bytes) {
    const r = await iterator.next();
    if (r.done) break;
    const chunk = r.value as Buffer;
    chunks.push(chunk);
    have += chunk.length;
  }
  const head = Buffer.concat(chunks);
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  out.write(head);
  (async () => {
    try {
      for (;;) {
        const r = await iterator.next();
        if (r.done) break;
        if (!out.write(r.value as Buffer)) await new Promise((resolve) => out.once('drain', resolve));
      }
      out.end();
    } catch (err) {
      out.destroy(err as Error);
    }
  })();
  return { head, stream: out };
}

/**
 * Returns the uncompressed bytes of `source` whatever its compression (none, gzip, zstd).
 * @throws invalid-argument for bzip2 and xz, which strata doesn't read
 */
export async function decompressed(source: Readable, what: string): Promise<{ stream: Readable; compression: Compression }> {
  const { head, stream } = await peek(source, 6);
  const compression = sniffCompression(head);
  if (compression === 'none') return { stream, compression };
  if (compression === 'gzip') return { stream: gunzipStream(stream, what), compression };
  if (compression === 'zstd') return { stream: zstdDecompress(stream, what), compression };
  throw invalidArgument(`${what}: ${compression} compression is not supported; use an uncompressed, gzip or zstd tar`);
}

/**
 * What a gzip decoder's (node:zlib's) failure means for input `what`; other errors (reading
 * the input) pass through as they are.
 */
export function gzipError(err: unknown, what: string): unknown {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !code.startsWith('Z_')) return err;
  // zlib says Z_BUF_ERROR when its input ends inside the stream.
  if (code === 'Z_BUF_ERROR') return invalidArgument(`${what}: the gzip stream ends early (truncated file?)`, { cause: err });
  return invalidArgument(`${what}: corrupt gzip data: ${(err as Error).message}`, { cause: err });
}

/**
 * Each decompressed stream's decoder verdict (see `decoderVerdict`), asked for after the
 * reader failed.
 */
const verdicts = new WeakMap<Readable, () => Promise<Error | undefined>>();

/**
 * Whether the decoder behind `stream` finds its input damaged. A damaged block may decode to
 * garbage before the decoder notices (zstd checks a frame's checksum at its end), so a reader
 * that failed on what it read (a tar header that makes no sense) asks this, in the same tick
 * as its failure: the decoder then reads the rest of its input, and its error, which names the
 * real cause, wins. Undefined for plain input, or when the decoder found nothing wrong.
 */
export async function decoderVerdict(stream: Readable): Promise<Error | undefined> {
  return verdicts.get(stream)?.();
}

function gunzipStream(source: Readable, what: string): Readable {
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  let failure: Error | undefined;
  const finished = new Promise<void>((resolve) => {
    gunzip.once('end', resolve);
    gunzip.once('close', resolve);
  });
  source.on('error', (err) => out.destroy(err));
  gunzip.on('error', (err) => {
    failure = gzipError(err, what) as Error;
    out.destroy(failure);
  });
  source.pipe(gunzip).pipe(out);
  verdicts.set(out, async () => {
    if (failure === undefined && !gunzip.destroyed) {
      gunzip.unpipe(out);
      gunzip.resume();
      await finished;
    }
    return failure;
  });
  return out;
}

/** What the zstd CLI's complaint on stderr means for input `what`. */
function zstdError(stderr: string, code: number | null, what: string): StrataError {
  // zstd names its input first: "/*stdin*\ : Read error (39) : premature end".
  const reason = stderr.trim().split('\n').at(-1)?.replace(/^.*?\s:\s/, '').trim() ?? '';
  if (/premature end|truncated/i.test(reason)) return invalidArgument(`${what}: the zstd stream ends early (truncated file?)`);
  return invalidArgument(`${what}: corrupt zstd data: ${reason || `zstd exited with ${code}`}`);
}

function zstdDecompress(source: Readable, what: string): Readable {
  const child = spawn('zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  // zstd's output ending says nothing about the input being whole: only its exit status
  // does. So the stream ends (or fails) once zstd has exited.
  const out = new PassThrough({ highWaterMark: 1024 * 1024 });
  child.stdout.pipe(out, { end: false });
  child.on('error', (err) => out.destroy(unavailable(`${what}: cannot run zstd to decompress it: ${err.message}`, { hint: 'install the zstd package' })));
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(zstdError(stderr, code, what));
  });
  source.on('error', (err) => {
    child.kill();
    out.destroy(err);
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let verdictAsked = false;
  out.on('close', () => {
    // The reader stopped early (an error downstream): zstd need not go on, unless the
    // reader asks for its verdict in this tick (decoderVerdict).
    setImmediate(() => {
      if (!verdictAsked && child.exitCode === null) child.kill();
    });
  });
  verdicts.set(out, async () => {
    verdictAsked = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.stdout.unpipe(out);
      child.stdout.resume();
    }
    const code = await exited;
    return code === 0 || code === null ? undefined : zstdError(stderr, code, what);
  });
  source.pipe(child.stdin);
  child.stdin.on('error', () => { /* zstd exited early; its exit code says why */ });
  return out;
}
