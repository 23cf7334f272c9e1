/**
 * The one interpreter of Dockerfile metadata instructions (CMD, ENTRYPOINT, ENV, EXPOSE,
 * HEALTHCHECK, LABEL, ONBUILD, SHELL, STOPSIGNAL, USER, VOLUME, WORKDIR): each changes an
 * image's container defaults and yields its history text. The build dispatches through it,
 * and so does docker's `--change` of `import` and `commit` (config-changes.ts).
 *
 * The instruction comes expanded (expand.ts). BuildKit (build) and docker's classic builder
 * (behind `--change`) agree on all of this but two details, which `dialect` selects: BuildKit
 * marks every CMD's arguments as escaped (ArgsEscaped) and counts any CMD as set, while the
 * classic builder leaves ArgsEscaped alone on Linux and counts only a non-empty CMD. The
 * shell of shell-form commands comes from the caller: a build's SHELL, or /bin/sh -c for
 * `--change` (docker's container config, which it starts from, carries no SHELL).
 */
import type { ContainerDefaults } from '../../oci/index.ts';
import type {
  CmdInstruction, EntrypointInstruction, EnvInstruction, ExposeInstruction, HealthcheckInstruction, LabelInstruction,
  OnbuildInstruction, ShellInstruction, StopsignalInstruction, UserInstruction, VolumeInstruction, WorkdirInstruction,
} from './ast.ts';
import { DetailError } from './errors.ts';
import {
  cmdHistory, entrypointHistory, exposeHistory, healthcheckHistory, keyValueHistory, resolveWorkdir,
  shellHistory, stopsignalHistory, userHistory, volumeHistory, withShell, workdirHistory,
} from './history.ts';
import { parseExposedPorts } from './ports.ts';
import { parseSignal } from './signal.ts';

export type MetadataInstruction =
  | CmdInstruction | EntrypointInstruction | EnvInstruction | ExposeInstruction | HealthcheckInstruction | LabelInstruction
  | OnbuildInstruction | ShellInstruction | StopsignalInstruction | UserInstruction | VolumeInstruction | WorkdirInstruction;

const METADATA_KINDS: ReadonlySet<string> = new Set<MetadataInstruction['kind']>([
  'CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'ONBUILD', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

export function isMetadataInstruction(inst: { kind: string }): inst is MetadataInstruction {
  return METADATA_KINDS.has(inst.kind);
}

/** What a metadata instruction sees beside the defaults it changes. */
export interface MetadataScope {
  /** `buildkit` for a build, `classic` for `--change` (see the module comment). */
  readonly dialect: 'buildkit' | 'classic';
  /** The shell that runs shell-form CMD and ENTRYPOINT. */
  readonly shell: readonly string[];
  /** An earlier CMD of this stage (or change list) set the command: ENTRYPOINT keeps it. CMD sets it. */
  cmdSet: boolean;
}

/** `Env` with `key` set to `value`, replacing an entry of the same name in place. */
export function withEnv(env: readonly string[] | undefined, key: string, value: string): string[] {
  const list = [...(env ?? [])];
  const i = list.findIndex((e) => (e.indexOf('=') < 0 ? e : e.slice(0, e.indexOf('='))) === key);
  if (i >= 0) list[i] = `${key}=${value}`;
  else list.push(`${key}=${value}`);
  return list;
}

/**
 * Applies an expanded metadata instruction to `d` (nested maps and lists are replaced, never
 * changed in place) and returns its history text; ONBUILD has none.
 * @throws DetailError (invalid-argument) for a bad port, signal or empty volume
 */
export function applyMetadataInstruction(d: ContainerDefaults, inst: MetadataInstruction, scope: MetadataScope): string | undefined {
  switch (inst.kind) {
    case 'ENV':
      for (const p of inst.pairs) d.Env = withEnv(d.Env, p.key, p.value);
      return keyValueHistory('ENV', inst.pairs);
    case 'LABEL':
      d.Labels = { ...(d.Labels ?? {}) };
      for (const p of inst.pairs) d.Labels[p.key] = p.value;
      return keyValueHistory('LABEL', inst.pairs);
    case 'CMD': {
      const args = inst.form === 'shell' ? withShell(scope.shell, inst.command) : [...inst.command];
      d.Cmd = args;
      if (scope.dialect === 'buildkit') d.ArgsEscaped = true;
      if (scope.dialect === 'buildkit' || inst.command.length > 0) scope.cmdSet = true;
      return cmdHistory(args);
    }
    case 'ENTRYPOINT': {
      const args = inst.form === 'shell' ? withShell(scope.shell, inst.command) : [...inst.command];
      d.Entrypoint = args;
      if (!scope.cmdSet) delete d.Cmd;
      return entrypointHistory(args);
    }
    case 'HEALTHCHECK':
      d.Healthcheck = {
        Test: inst.test,
        ...(inst.intervalNs ? { Interval: inst.intervalNs } : {}),
        ...(inst.timeoutNs ? { Timeout: inst.timeoutNs } : {}),
        ...(inst.startPeriodNs ? { StartPeriod: inst.startPeriodNs } : {}),
        ...(inst.startIntervalNs ? { StartInterval: inst.startIntervalNs } : {}),
        ...(inst.retries ? { Retries: inst.retries } : {}),
      };
      return healthcheckHistory(inst);
    case 'EXPOSE': {
      const ports = parseExposedPorts(inst.ports);
      d.ExposedPorts = { ...(d.ExposedPorts ?? {}) };
      for (const p of ports) d.ExposedPorts[p] = {};
      return exposeHistory(ports);
    }
    case 'USER':
      d.User = inst.user;
      return userHistory(inst.user);
    case 'VOLUME':
      if (inst.volumes.includes('')) throw new DetailError('VOLUME specified can not be an empty string');
      d.Volumes = { ...(d.Volumes ?? {}) };
      for (const v of inst.volumes) d.Volumes[v] = {};
      return volumeHistory(inst.volumes);
    case 'STOPSIGNAL':
      parseSignal(inst.signal);
      d.StopSignal = inst.signal;
      return stopsignalHistory(inst.signal);
    case 'SHELL':
      d.Shell = [...inst.shell];
      return shellHistory(inst.shell);
    case 'ONBUILD':
      d.OnBuild = [...(d.OnBuild ?? []), inst.expression];
      return undefined;
    case 'WORKDIR': {
      const wd = resolveWorkdir(d.WorkingDir || '/', inst.path);
      d.WorkingDir = wd;
      return workdirHistory(wd);
    }
  }
}
