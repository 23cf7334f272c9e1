/** A container's output and input: `logs` (json-file log, framed) and `attach` (hijacked connection). */
import { errnoOf, invalidArgument, isStrataError } from '../../errdefs/index.ts';
import { formatLogEntry, parseLogTime, readLogs } from '../../runtime/index.ts';
import { followOutput, hijackStdio } from '../container-attach.ts';
import { sessionsOf, type Attachment } from '../container-sessions.ts';
import type { ApiRequest, Route } from '../router.ts';
import { MULTIPLEXED, RAW_STREAM, writeOutputPaced } from '../stdio-frames.ts';
import { pathContainer } from './containers.ts';

/** `since`/`until` as docker/cli sends them (Unix seconds with nanoseconds), or RFC 3339; 0 is none. */
function timeParam(req: ApiRequest, name: string): bigint | undefined {
  const value = req.query.get(name);
  if (value === null || value === '' || value === '0') return undefined;
  try {
    return parseLogTime(value);
  } catch {
    throw invalidArgument(`invalid value for "${name}": ${value}`);
  }
}

export const containerIoRoutes: Route[] = [
  {
    method: 'GET',
    path: '/containers/{id}/logs',
    handler: async (req, res, api) => {
      const stdout = req.queryBool('stdout');
      const stderr = req.queryBool('stderr');
      if (!stdout && !stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
      const { containers, c } = await pathContainer(req, api);
      const tailText = req.query.get('tail') ?? 'all';
      if (tailText !== 'all' && tailText !== '' && !/^-?\d+$/.test(tailText)) throw invalidArgument(`invalid value for "tail": ${tailText}`);
      const tail = tailText === 'all' || tailText === '' ? undefined : Number(tailText);
      const since = timeParam(req, 'since');
      const until = timeParam(req, 'until');
      const timestamps = req.queryBool('timestamps');
      const tty = c.stored.run.tty === true;
      res.head(200, { 'Content-Type': tty ? RAW_STREAM : MULTIPLEXED });
      res.raw.flushHeaders();
      const output = res.raw;
      try {
        const entries = readLogs(containers.logPath(c), {
          follow: req.queryBool('follow'),
          ...(tail !== undefined && tail >= 0 ? { tail } : {}),
          ...(since !== undefined ? { since } : {}),
          ...(until !== undefined ? { until } : {}),
          done: async () => !(await containers.status(c)).Running,
          signal: req.signal,
          pollInterval: 5000,
        });
        for await (const entry of entries) {
          if (!(entry.stream === 'stdout' ? stdout : stderr)) continue;
          if (!(await writeOutputPaced(output, entry.stream, Buffer.from(formatLogEntry(entry, { timestamps })), tty))) break;
        }
      } catch (err) {
        // A container that never started has no log yet: nothing to show, as docker.
        if (!(isStrataError(err, 'not-found') && errnoOf(err.cause) === 'ENOENT')) throw err;
      }
      output.end();
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/attach',
    handler: async (req, res, api) => {
      const { containers, c } = await pathContainer(req, api);
      if (req.query.get('detachKeys')) throw invalidArgument('detachKeys is not supported by strata');
      const tty = c.stored.run.tty === true;
      const stream = req.queryBool('stream');
      const logs = req.queryBool('logs');
      const running = (await containers.status(c)).Running;
      const socket = hijackStdio(res, tty);
      const client: Attachment = { output: socket, input: socket, stdin: req.queryBool('stdin'), stdout: req.queryBool('stdout'), stderr: req.queryBool('stderr') };
      if (stream && !running) {
        // Before the start: the start runs the container attached to this client.
        sessionsOf(api.engine).attachBeforeStart(c.id, client);
        return;
      }
      await followOutput(containers, c, client, logs, stream);
    },
  },
];
