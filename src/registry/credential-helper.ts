/**
 * docker's credential helpers (`docker-credential-<name>` on PATH): `get` reads a server
 * URL on stdin and prints `{"ServerURL","Username","Secret"}`; `store` reads that JSON;
 * `erase` reads a server URL. A Username of `<token>` means the Secret is an identity token.
 */
import { spawn } from 'node:child_process';
import { StrataError, unavailable } from '../errdefs/index.ts';

export interface HelperCredentials {
  username: string;
  secret: string;
}

const NOT_FOUND = /credentials not found|not found in native keychain|no credentials/i;

function run(helper: string, action: 'get' | 'store' | 'erase', input: string): Promise<string> {
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, [action], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(unavailable(`error getting credentials - err: exec: "${program}": ${e.code === 'ENOENT' ? 'executable file not found in $PATH' : e.message}`, {
        cause: e,
        hint: `install ${program}, or remove "credsStore"/"credHelpers" from your docker config.json`,
      }));
    });
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString().trim();
      if (code === 0) resolve(stdout);
      else {
        const message = stdout || Buffer.concat(err).toString().trim() || `exit status ${code}`;
        reject(new StrataError(NOT_FOUND.test(message) ? 'not-found' : 'unavailable', `${program} ${action}: ${message}`));
      }
    });
    child.stdin.on('error', () => { /* the helper exited before reading; its status says why */ });
    child.stdin.end(input);
  });
}

/** Credentials the helper holds for `serverUrl`, or undefined when it holds none. */
export async function helperGet(helper: string, serverUrl: string): Promise<HelperCredentials | undefined> {
  let text: string;
  try {
    text = await run(helper, 'get', serverUrl);
  } catch (err) {
    if (err instanceof StrataError && err.code === 'not-found') return undefined;
    throw err;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw unavailable(`docker-credential-${helper} get: printed something that is not JSON`);
  }
  const obj = doc as { Username?: unknown; Secret?: unknown };
  if (typeof obj.Username !== 'string' || typeof obj.Secret !== 'string') return undefined;
  return { username: obj.Username, secret: obj.Secret };
}

export async function helperStore(helper: string, serverUrl: string, creds: HelperCredentials): Promise<void> {
  await run(helper, 'store', JSON.stringify({ ServerURL: serverUrl, Username: creds.username, Secret: creds.secret }));
}

/** Removes what the helper holds for `serverUrl`; erasing nothing is not an error. */
export async function helperErase(helper: string, serverUrl: string): Promise<void> {
  try {
    await run(helper, 'erase', serverUrl);
  } catch (err) {
    if (!(err instanceof StrataError && err.code === 'not-found')) throw err;
  }
}
