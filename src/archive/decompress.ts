/**
 * Tells compressed input from plain by its magic bytes and undoes gzip or zstd while
 * streaming (gzip through node:zlib, zstd through the `zstd` CLI: Node 20 has none).
 */
import { spawn } from 'node:child_process';
import { createGunzip } from 'node:zlib';
import { PassThrough, type Readable } from 'node:stream';
import { sniffCompression, type SniffedCompression } from '../diff/index.ts';
import { invalidArgument, unavailable } from '../errdefs/index.ts';

export type Compression = SniffedCompression;

/** Reads the first bytes of a stream without losing them. */
async function peek(source: Readable, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
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
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    stream.on('error', (err) => gunzip.destroy(err));
    return { stream: stream.pipe(gunzip), compression };
  }
  if (compression === 'zstd') return { stream: zstdDecompress(stream, what), compression };
  throw invalidArgument(`${what}: ${compression} compression is not supported; use an uncompressed, gzip or zstd tar`);
}

function zstdDecompress(source: Readable, what: string): Readable {
  const child = spawn('zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const out = child.stdout;
  child.on('error', (err) => out.destroy(unavailable(`${what}: cannot run zstd to decompress it: ${err.message}`, { hint: 'install the zstd package' })));
  child.on('exit', (code) => {
    if (code !== 0) out.destroy(invalidArgument(`${what}: zstd: ${stderr.trim() || `exit ${code}`}`));
  });
  source.on('error', (err) => out.destroy(err));
  source.pipe(child.stdin);
  child.stdin.on('error', () => { /* zstd exited early; its exit code says why */ });
  return out;
}
