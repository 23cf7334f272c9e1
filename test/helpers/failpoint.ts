/**
 * Runs the CLI up to a failpoint (STRATA_FAILPOINT, see src/internal/failpoint.ts) and holds
 * it there, so that a race test can run another command at that exact point and then let
 * the first one go on.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { STRATA_BIN, type CliResult } from './strata-cli.ts';
import { tempDir } from './temp-dir.ts';

export interface HeldCli {
  /** The label of the failpoint it is held at (which may carry what the command chose). */
  label: string;
  /** Lets the held command go on; resolves with its result once it exits. */
  resume(): Promise<CliResult>;
}

/** Starts `strata args` and resolves once it is held at the first failpoint whose label contains `label`. */
export async function holdAt(root: string, label: string, args: string[]): Promise<HeldCli> {
  const resumeFile = join(tempDir('strata-failpoint-'), 'resume');
  const child = spawn(STRATA_BIN, args, {
    env: { ...process.env, STRATA_ROOT: root, STRATA_FAILPOINT: label, STRATA_FAILPOINT_RESUME: resumeFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test that fails while the command is held must not leave it blocked.
  after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<CliResult>((resolve) => {
    child.once('close', (code) => resolve({ status: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: err }));
  });
  await new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer): void => {
      err += b.toString();
      if (err.includes('failpoint ')) {
        child.stderr.off('data', onData);
        child.stderr.on('data', (more: Buffer) => (err += more.toString()));
        resolve();
      }
    };
    child.stderr.on('data', onData);
    void done.then((r) => reject(new Error(`strata ${args.join(' ')} exited ${r.status} before the failpoint "${label}": ${err}`)));
  });
  const heldLabel = /^failpoint ([^\n]*)\n/m.exec(err)?.[1] ?? '';
  // What the command printed after the failpoint line is its own output.
  err = err.replace(/^failpoint [^\n]*\n/m, '');
  return {
    label: heldLabel,
    resume: () => {
      writeFileSync(resumeFile, '');
      return done;
    },
  };
}
