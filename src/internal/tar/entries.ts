/**
 * Async iteration over the entries of a tar stream, on top of the push parser. The source
 * is read only as fast as the consumer goes; a body the consumer does not read is skipped.
 */
import { TarParser } from './parser.ts';
import type { TarParserOptions } from './parser.ts';
import type { TarHeader } from './header.ts';

export interface TarEntry {
  header: TarHeader;
  /** The body, chunk by chunk; valid only until the iteration moves to the next entry. */
  body: AsyncIterable<Buffer>;
}

type Event = { kind: 'entry'; header: TarHeader } | { kind: 'data'; chunk: Buffer } | { kind: 'end' };

/**
 * Yields each entry of `source` (a Readable or any async iterable of bytes).
 * @throws StrataError from the parser for a malformed or truncated archive.
 */
export async function* readTarEntries(
  source: AsyncIterable<Uint8Array>,
  options: TarParserOptions = {},
): AsyncGenerator<TarEntry, void, undefined> {
  const queue: Event[] = [];
  let head = 0;
  const parser = new TarParser(
    {
      onEntry: (header) => queue.push({ kind: 'entry', header }),
      onData: (chunk) => queue.push({ kind: 'data', chunk }),
      onEntryEnd: () => queue.push({ kind: 'end' }),
    },
    options,
  );
  const input = source[Symbol.asyncIterator]();
  let sourceDone = false;

  const next = async (): Promise<Event | undefined> => {
    while (head >= queue.length) {
      queue.length = 0;
      head = 0;
      if (sourceDone) return undefined;
      const r = await input.next();
      if (r.done === true) {
        sourceDone = true;
        parser.end();
      } else {
        const v = r.value;
        parser.write(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      }
    }
    return queue[head++];
  };

  let open = false;
  async function* body(): AsyncGenerator<Buffer, void, undefined> {
    while (open) {
      const ev = await next();
      if (ev === undefined || ev.kind === 'end') {
        open = false;
        return;
      }
      if (ev.kind === 'data') yield ev.chunk;
    }
  }

  try {
    for (;;) {
      const ev = await next();
      if (ev === undefined) return;
      if (ev.kind !== 'entry') continue;
      open = true;
      yield { header: ev.header, body: body() };
      while (open) {
        const rest = await next();
        if (rest === undefined || rest.kind === 'end') open = false;
      }
    }
  } finally {
    if (!sourceDone) await input.return?.();
  }
}
