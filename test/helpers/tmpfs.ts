// Small tmpfs mounts for tests that need a full or read-only filesystem; each is unmounted
// and removed when the test file ends.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export function mountTmpfs(options: { size: string; readOnly?: boolean }): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${options.size}${options.readOnly ? ',ro' : ''}`, 'tmpfs', dir]);
  after(() => {
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
