/**
 * strata's own tar codec (see LIBRARIES.md for why no npm library would do): a
 * synchronous push parser, an async entry iterator over it, a deterministic header
 * encoder and a backpressure-aware writer.
 */
export type { TarEntryType, TarHeader, TarHeaderInit } from './header.ts';
export { BLOCK_SIZE } from './header.ts';
export { TarParser } from './parser.ts';
export type { TarParserHandlers, TarParserOptions } from './parser.ts';
export { readTarEntries } from './entries.ts';
export type { TarEntry } from './entries.ts';
export { encodeHeader, endOfArchive, paddingFor } from './encoder.ts';
export { TarWriter } from './writer.ts';
export type { TarBody, TarWriterOptions } from './writer.ts';
