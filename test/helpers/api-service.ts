// A `strata system service` on a temporary socket and store, for tests that drive it with
// real clients (the docker CLI, docker-py, curl-like requests). Stopped when the file ends.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { after } from 'node:test';
import { STRATA_BIN } from './strata-cli.ts';
import { tempDir } from './temp-dir.ts';

export interface ApiService {
  root: string;
  socket: string;
  child: ChildProcess;
  /** What the service printed on stderr so far. */
  log(): string;
  stop(): Promise<number | null>;
}

/** Starts the service and resolves once it listens (it says so on stderr). */
export async function startService(options: { root?: string; socket?: string; args?: string[] } = {}): Promise<ApiService> {
  const dir = tempDir('strata-api-');
  const root = options.root ?? join(dir, 'store');
  const socket = options.socket ?? join(dir, 'strata.sock');
  const child = spawn(STRATA_BIN, ['--root', root, 'system', 'service', '-H', `unix://${socket}`, ...(options.args ?? [])], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('API listening on unix://')) resolve();
    });
    void exited.then((code) => reject(new Error(`the service exited ${code} before listening: ${log}`)));
  });
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  after(stop);
  return { root, socket, child, log: () => log, stop };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request over the service's socket. */
export function apiRequest(socket: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The docker CLI (docker 28) against the service; DOCKER_BUILDKIT=0 as there is no buildx here. */
export function docker(socket: string, args: string[], options: { input?: string | Buffer; cwd?: string; env?: Record<string, string> } = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('docker', ['-H', `unix://${socket}`, ...args], {
    // A config of its own (no credentials) unless the test passes one.
    env: { ...process.env, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: tempDir('strata-docker-config-'), ...options.env },
    input: options.input,
    cwd: options.cwd,
    maxBuffer: 1024 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

export function dockerOk(socket: string, args: string[], options: { input?: string | Buffer; cwd?: string } = {}): string {
  const r = docker(socket, args, options);
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Why the docker CLI tests cannot run here, or false when they can (it is not a Debian package). */
export const NO_DOCKER_CLI: string | false = spawnSync('docker', ['--version']).status === 0 ? false : 'the docker CLI (28) is not installed: it is the client these tests drive the service with';
