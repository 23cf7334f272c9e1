/**
 * docker's `--change` for `import` and `commit`: Dockerfile instructions (CMD, ENTRYPOINT,
 * ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR, HEALTHCHECK) applied to
 * an image's defaults, parsed by the build frontend's parser.
 */
import { posix } from 'node:path';
import { invalidArgument, isStrataError } from '../errdefs/index.ts';
import { parseTrigger } from '../builder/dockerfile/parse.ts';
import { expandString, expandWords } from '../builder/dockerfile/shell-lex.ts';
import type { Instruction } from '../builder/dockerfile/ast.ts';
import type { ContainerDefaults } from '../oci/index.ts';

const ALLOWED = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR', 'HEALTHCHECK']);

function envMap(env: string[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of env ?? []) {
    const eq = entry.indexOf('=');
    if (eq === -1) map.set(entry, '');
    else map.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return map;
}

function setEnv(env: string[] | undefined, key: string, value: string): string[] {
  const out = [...(env ?? [])];
  const i = out.findIndex((e) => e === key || e.startsWith(`${key}=`));
  if (i === -1) out.push(`${key}=${value}`);
  else out[i] = `${key}=${value}`;
  return out;
}

function parseChange(text: string): Instruction {
  // docker names the instruction before parsing anything (`from is not a valid change command`).
  const keyword = /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase();
  if (keyword !== undefined && !ALLOWED.has(keyword)) throw invalidArgument(`${keyword.toLowerCase()} is not a valid change command`);
  let instruction: Instruction;
  try {
    instruction = parseTrigger(text, '--change');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw invalidArgument(`invalid --change "${text}": ${message.replace(/^--change(:\d+)?:\s*/, '')}`);
  }
  if (!ALLOWED.has(instruction.kind)) throw invalidArgument(`${instruction.kind.toLowerCase()} is not a valid change command`);
  return instruction;
}

function shellForm(command: string[]): string[] {
  return ['/bin/sh', '-c', command.join(' ')];
}

function apply(defaults: ContainerDefaults, instruction: Instruction): ContainerDefaults {
  const c: ContainerDefaults = { ...defaults };
  const env = envMap(c.Env);
  const expand = (text: string): string => expandString(text, env).value;
  switch (instruction.kind) {
    case 'CMD':
      c.Cmd = instruction.form === 'shell' ? shellForm(instruction.command) : instruction.command;
      break;
    case 'ENTRYPOINT':
      c.Entrypoint = instruction.form === 'shell' ? shellForm(instruction.command) : instruction.command;
      // docker clears an inherited CMD when a change sets the entrypoint.
      delete c.Cmd;
      break;
    case 'ENV':
      for (const pair of instruction.pairs) {
        const value = expand(pair.value);
        c.Env = setEnv(c.Env, pair.key, value);
        env.set(pair.key, value);
      }
      break;
    case 'LABEL':
      c.Labels = { ...(c.Labels ?? {}) };
      for (const pair of instruction.pairs) c.Labels[expand(pair.key)] = expand(pair.value);
      break;
    case 'EXPOSE': {
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const spec of instruction.ports.flatMap((p) => expandWords(p, env).words)) {
        const port = spec.includes('/') ? spec.toLowerCase() : `${spec}/tcp`;
        if (!/^\d+(-\d+)?\/(tcp|udp|sctp)$/.test(port)) throw invalidArgument(`invalid containerPort: ${spec.replace(/\/.*/, '')}`);
        c.ExposedPorts[port] = {};
      }
      break;
    }
    case 'USER':
      c.User = expand(instruction.user);
      break;
    case 'WORKDIR': {
      const dir = expand(instruction.path);
      c.WorkingDir = posix.isAbsolute(dir) ? posix.normalize(dir) : posix.join(c.WorkingDir || '/', dir);
      break;
    }
    case 'VOLUME':
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const v of instruction.volumes.map(expand)) {
        if (v.trim() === '') throw invalidArgument('VOLUME specified can not be an empty string');
        c.Volumes[v] = {};
      }
      break;
    case 'STOPSIGNAL':
      c.StopSignal = expand(instruction.signal);
      break;
    case 'ONBUILD':
      c.OnBuild = [...(c.OnBuild ?? []), instruction.expression];
      break;
    case 'HEALTHCHECK':
      c.Healthcheck = {
        Test: instruction.test,
        ...(instruction.intervalNs ? { Interval: instruction.intervalNs } : {}),
        ...(instruction.timeoutNs ? { Timeout: instruction.timeoutNs } : {}),
        ...(instruction.startPeriodNs ? { StartPeriod: instruction.startPeriodNs } : {}),
        ...(instruction.startIntervalNs ? { StartInterval: instruction.startIntervalNs } : {}),
        ...(instruction.retries ? { Retries: instruction.retries } : {}),
      };
      break;
    default:
      throw invalidArgument(`${(instruction as Instruction).kind.toLowerCase()} is not a valid change command`);
  }
  return c;
}

/**
 * Parses `--change` values now (so a bad one fails before any work) and returns the
 * function that applies them in order.
 * @throws invalid-argument naming the change
 */
export function configChanges(changes: string[]): (defaults: ContainerDefaults) => ContainerDefaults {
  const parsed = changes.map((text) => ({ text, instruction: parseChange(text) }));
  return (defaults) =>
    parsed.reduce((acc, { text, instruction }) => {
      try {
        return apply(acc, instruction);
      } catch (err) {
        if (isStrataError(err)) throw err;
        throw invalidArgument(`invalid --change "${text}": ${(err as Error).message}`);
      }
    }, defaults);
}
