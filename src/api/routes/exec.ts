/** Exec instances: create, start (detached, or attached over a hijacked connection), inspect, resize. */
import { randomBytes } from 'node:crypto';
import { failedPrecondition, invalidArgument, notFound } from '../../errdefs/index.ts';
import { collectRunEnv, ContainerStartError } from '../../runtime/index.ts';
import { openStdio, readUpgradedBody, relayProcess } from '../container-attach.ts';
import { writeOutput } from '../stdio-frames.ts';
import { sessionsOf, type ExecRecord } from '../container-sessions.ts';
import type { ApiContext, ApiRequest, Route } from '../router.ts';
import { containersOf, pathContainer } from './containers.ts';

type Json = Record<string, unknown>;

function execRecord(req: ApiRequest, api: ApiContext): ExecRecord {
  const record = sessionsOf(api.engine).exec(req.param('id'));
  if (record === undefined) throw notFound(`No such exec instance: ${req.param('id')}`);
  return record;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function parseBody(bytes: Buffer): Json {
  if (bytes.length === 0) return {};
  try {
    const value = JSON.parse(bytes.toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
  } catch (err) {
    throw invalidArgument(`invalid JSON in request body: ${(err as Error).message}`);
  }
}

function stringList(body: Json, key: string): string[] {
  const v = body[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalidArgument(`invalid ${key}: a list of strings is expected`);
  return v as string[];
}

function consoleSize(value: unknown): { height: number; width: number } | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [height, width] = value.map(Number) as [number, number];
  return height > 0 && width > 0 ? { height, width } : undefined;
}

export const execRoutes: Route[] = [
  {
    method: 'POST',
    path: '/containers/{id}/exec',
    handler: async (req, res, api) => {
      const body = (await req.json<Json>()) ?? {};
      if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid exec request: a JSON object is expected');
      // Other names (docker-py sends `Container`) are ignored, as dockerd's decoder ignores them.
      if (typeof body['DetachKeys'] === 'string' && body['DetachKeys'] !== '') throw invalidArgument('DetachKeys is not supported by strata');
      const cmd = stringList(body, 'Cmd');
      if (cmd.length === 0) throw invalidArgument('No exec command specified');
      const { containers, c } = await pathContainer(req, api);
      const status = await containers.status(c);
      if (!status.Running) throw failedPrecondition(`Container ${c.id} is not running`);
      if (status.Paused) throw failedPrecondition(`Container ${req.param('id')} is paused, unpause the container before exec`);
      const id = randomBytes(32).toString('hex');
      const size = consoleSize(body['ConsoleSize']);
      const record: ExecRecord = {
        id, containerId: c.id, cmd, env: collectRunEnv({ envFiles: [], env: stringList(body, 'Env') }),
        user: typeof body['User'] === 'string' ? body['User'] : '',
        workdir: typeof body['WorkingDir'] === 'string' ? body['WorkingDir'] : '',
        privileged: body['Privileged'] === true, tty: body['Tty'] === true,
        attachStdin: body['AttachStdin'] === true, attachStdout: body['AttachStdout'] === true, attachStderr: body['AttachStderr'] === true,
        ...(size ? { consoleSize: size } : {}),
        running: false, started: false, exitCode: null, pid: 0,
      };
      sessionsOf(api.engine).addExec(record);
      containers.execCreated(c, cmd, id);
      res.json(201, { Id: id });
    },
  },
  {
    method: 'POST',
    path: '/exec/{id}/start',
    handler: async (req, res, api) => {
      const record = execRecord(req, api);
      if (record.started) throw failedPrecondition(`Error: Exec command ${record.id} has already run`);
      const containers = await containersOf(api);
      const c = containers.find(record.containerId);
      // An upgraded request's body comes with the connection: the stream opens first.
      const upgraded = (req.header('connection') ?? '').toLowerCase().includes('upgrade');
      const stdio = upgraded ? openStdio(req, res, record.tty) : undefined;
      const body = stdio?.input
        ? parseBody(await readUpgradedBody(stdio.input, Number(req.header('content-length') ?? '0')))
        : (await req.json<Json>()) ?? {};
      const detach = body['Detach'] === true;
      const tty = body['Tty'] === true || record.tty;
      const size = consoleSize(body['ConsoleSize']) ?? record.consoleSize;
      const request = {
        cmd: record.cmd, env: record.env, tty, sigProxy: false, execId: record.id,
        ...(record.user ? { user: record.user } : {}),
        ...(record.workdir ? { workdir: record.workdir } : {}),
        ...(record.privileged ? { privileged: true } : {}),
        ...(tty && size ? { consoleSize: size } : {}),
      };
      record.started = true;
      if (detach && stdio === undefined) {
        const started = await containers.exec(c, record.id, { ...request, detach: true });
        record.running = true;
        record.pid = started.pid;
        res.head(200, { 'Content-Type': 'application/json', 'Content-Length': 0 });
        res.raw.end();
        return;
      }
      const { output, input } = stdio ?? openStdio(req, res, tty);
      let started;
      try {
        started = await containers.exec(c, record.id, { ...request, stdin: record.attachStdin && input !== undefined, stdio: ['pipe', 'pipe', 'pipe'] });
      } catch (err) {
        // As dockerd: the stream is open, so the error goes into it and the exit status into the record.
        record.exitCode = err instanceof ContainerStartError ? err.exitStatus : 126;
        writeOutput(output, 'stdout', Buffer.from(`${(err as Error).message}\r\n`), tty);
        output.end();
        return;
      }
      record.running = true;
      record.pid = started.pid;
      record.process = started;
      const client = { output, ...(input ? { input } : {}), stdin: record.attachStdin && input !== undefined, stdout: record.attachStdout, stderr: record.attachStderr };
      try {
        record.exitCode = await relayProcess(started, [client], tty);
      } finally {
        record.running = false;
        delete record.process;
        started.release?.();
        if (!output.destroyed) output.end();
      }
    },
  },
  {
    method: 'GET',
    path: '/exec/{id}/json',
    handler: async (req, res, api) => {
      const r = execRecord(req, api);
      // A detached exec is not watched: it ran until its process is gone (its status is not kept).
      if (r.running && r.process === undefined && !processAlive(r.pid)) r.running = false;
      res.json(200, {
        ID: r.id, Running: r.running, ExitCode: r.exitCode, ProcessConfig: {
          tty: r.tty, entrypoint: r.cmd[0], arguments: r.cmd.slice(1), privileged: r.privileged, ...(r.user ? { user: r.user } : {}),
        },
        OpenStdin: r.attachStdin, OpenStderr: r.attachStderr, OpenStdout: r.attachStdout, CanRemove: false, ContainerID: r.containerId,
        DetachKeys: '', Pid: r.pid,
      });
    },
  },
  {
    method: 'POST',
    path: '/exec/{id}/resize',
    handler: async (req, res, api) => {
      execRecord(req, api);
      // A pty keeps the size it was started with (ConsoleSize); a later resize is not passed on.
      res.head(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 0 });
      res.raw.end();
    },
  },
];
