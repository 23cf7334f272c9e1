// A compact, hand-writable rendering of a parsed Dockerfile: one line per instruction with the
// facts a build depends on. The corpus test compares it with `expected.txt` beside each fixture.
import type { Dockerfile, Instruction, SourceLocation, Stage } from '../../../src/builder/dockerfile/index.ts';

const j = (v: unknown): string => JSON.stringify(v);

function at(loc: SourceLocation): string {
  return loc.endLine === loc.line ? `L${loc.line}` : `L${loc.line}-${loc.endLine}`;
}

function ns(v: number): string {
  if (v === 0) return '0';
  const s = v / 1e9;
  return Number.isInteger(s) ? `${s}s` : `${v / 1e6}ms`;
}

export function summarizeInstruction(inst: Instruction): string {
  switch (inst.kind) {
    case 'RUN': {
      let s = `RUN ${inst.form} ${j(inst.command)}`;
      for (const m of inst.mounts) {
        const p = m.parsed;
        s += p === undefined ? ` mount(${m.spec})` : ` mount=${p.type}:${p.target || p.id || '-'}`;
      }
      if (inst.network !== 'default') s += ` network=${inst.network}`;
      if (inst.security !== 'sandbox') s += ` security=${inst.security}`;
      for (const h of inst.heredocs) s += ` heredoc=${h.name}${h.chomp ? '(chomp)' : ''}${h.expand ? '' : '(literal)'}:${h.content.split('\n').length - 1}lines`;
      return s;
    }
    case 'CMD':
    case 'ENTRYPOINT':
      return `${inst.kind} ${inst.form} ${j(inst.command)}`;
    case 'SHELL':
      return `SHELL ${j(inst.shell)}`;
    case 'ENV':
    case 'LABEL':
      return `${inst.kind}${inst.pairs.some((p) => p.legacy) ? '(legacy)' : ''} ${j(inst.pairs.map((p) => [p.key, p.value]))}`;
    case 'EXPOSE':
      return `EXPOSE ${j(inst.ports)}`;
    case 'ARG':
      return `ARG ${inst.args.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join(' ')}`;
    case 'COPY':
    case 'ADD': {
      let s = `${inst.kind} ${j(inst.sources)} -> ${inst.dest}`;
      if (inst.kind === 'COPY' && inst.from !== undefined) s += ` from=${inst.from}`;
      if (inst.chown !== undefined) s += ` chown=${inst.chown}`;
      if (inst.chmod !== undefined) s += ` chmod=${inst.chmod}`;
      if (inst.link) s += ' link';
      if (inst.kind === 'COPY' && inst.parents) s += ' parents';
      if (inst.kind === 'ADD' && inst.checksum !== undefined) s += ` checksum=${inst.checksum}`;
      if (inst.kind === 'ADD' && inst.keepGitDir !== undefined) s += ` keep-git-dir=${inst.keepGitDir}`;
      if (inst.excludes.length > 0) s += ` exclude=${j(inst.excludes)}`;
      for (const c of inst.inline) s += ` inline=${c.name}:${j(c.content)}${c.expand ? '' : '(literal)'}`;
      return s;
    }
    case 'VOLUME':
      return `VOLUME ${j(inst.volumes)}`;
    case 'USER':
      return `USER ${inst.user}`;
    case 'WORKDIR':
      return `WORKDIR ${inst.path}`;
    case 'STOPSIGNAL':
      return `STOPSIGNAL ${inst.signal}`;
    case 'MAINTAINER':
      return `MAINTAINER ${inst.maintainer}`;
    case 'ONBUILD':
      return `ONBUILD ${j(inst.expression)}${inst.trigger === undefined ? ' (unparsed)' : ` -> ${inst.trigger.kind}`}`;
    case 'HEALTHCHECK': {
      let s = `HEALTHCHECK ${j(inst.test)}`;
      if (inst.intervalNs) s += ` interval=${ns(inst.intervalNs)}`;
      if (inst.timeoutNs) s += ` timeout=${ns(inst.timeoutNs)}`;
      if (inst.startPeriodNs) s += ` start-period=${ns(inst.startPeriodNs)}`;
      if (inst.startIntervalNs) s += ` start-interval=${ns(inst.startIntervalNs)}`;
      if (inst.retries) s += ` retries=${inst.retries}`;
      return s;
    }
  }
}

function summarizeStage(stage: Stage): string[] {
  let head = `${at(stage.location)} FROM ${stage.baseName}`;
  if (stage.name !== undefined) head += ` AS ${stage.name}`;
  if (stage.platform !== undefined) head += ` platform=${stage.platform}`;
  return [head, ...stage.instructions.map((i) => `  ${at(i.location)} ${summarizeInstruction(i)}`)];
}

export function summarize(df: Dockerfile): string {
  const lines: string[] = [];
  if (df.escapeToken !== '\\') lines.push(`escape ${df.escapeToken}`);
  if (df.syntax !== undefined) lines.push(`syntax ${df.syntax}`);
  for (const a of df.metaArgs) lines.push(`${at(a.location)} ${summarizeInstruction(a)}`);
  for (const s of df.stages) lines.push(...summarizeStage(s));
  return `${lines.join('\n')}\n`;
}
