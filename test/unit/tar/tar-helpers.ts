// Shared by the tar tests: parse a whole buffer, run GNU tar, make temp dirs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { after } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TarParser } from '../../../src/internal/tar/index.ts';
import type { TarHeader } from '../../../src/internal/tar/index.ts';

export interface ParsedEntry {
  header: TarHeader;
  body: Buffer;
}

/** Parses `archive`, writing it in chunks of `chunkSize` bytes (to exercise every split). */
export function parseAll(archive: Buffer, chunkSize = archive.length || 1): ParsedEntry[] {
  const entries: ParsedEntry[] = [];
  let chunks: Buffer[] = [];
  const parser = new TarParser({
    onEntry: (header) => {
      chunks = [];
      entries.push({ header, body: Buffer.alloc(0) });
    },
    onData: (chunk) => chunks.push(Buffer.from(chunk)),
    onEntryEnd: () => {
      entries[entries.length - 1]!.body = Buffer.concat(chunks);
    },
  });
  for (let i = 0; i < archive.length; i += chunkSize) parser.write(archive.subarray(i, i + chunkSize));
  parser.end();
  return entries;
}

/** A fresh directory under the OS temp dir, removed when the test file ends. */
export function tempDir(prefix = 'strata-tar-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function run(cmd: string, args: string[], options: { cwd?: string; input?: Buffer } = {}): Buffer {
  return execFileSync(cmd, args, { cwd: options.cwd, input: options.input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
}

/** Sets an xattr with Python's os.setxattr (independent of strata's own libc bindings). */
export function setXattrWithPython(path: string, name: string, value: Buffer): void {
  run('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]), follow_symlinks=False)', path, name, value.toString('hex')]);
}

export function getXattrWithPython(path: string, name: string): Buffer {
  return Buffer.from(run('python3', ['-c', 'import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).hex())', path, name]).toString(), 'hex');
}

/** A valid VFS_CAP_REVISION_2 value granting cap_net_bind_service, with NUL bytes inside. */
export const CAPABILITY = Buffer.from([1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
