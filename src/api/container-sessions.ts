/**
 * What the service keeps in memory about containers, as dockerd does: clients attached to
 * a container that has not started yet (its start then runs it attached, stdio through
 * the service), the exit status of containers it saw end (a `wait` for `removed` reports
 * it once the record is gone), and exec instances.
 */
import type { Readable, Writable } from 'node:stream';
import type { Engine } from '../engine/index.ts';
import type { StartedContainer } from '../runtime/index.ts';

export interface Attachment {
  /** Where its output goes: the hijacked connection, or a response body. */
  output: Writable;
  /** What it sends (the hijacked connection), when it sends anything. */
  input?: Readable;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** docker's exec instance (`GET /exec/{id}/json`). */
export interface ExecRecord {
  id: string;
  containerId: string;
  cmd: string[];
  env: string[];
  user: string;
  workdir: string;
  privileged: boolean;
  tty: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  consoleSize?: { height: number; width: number };
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  process?: StartedContainer;
}

/** How many exec instances are kept (dockerd drops them with their container; strata keeps the newest). */
const MAX_EXECS = 1000;

export class ContainerSessions {
  private readonly pending = new Map<string, Attachment[]>();
  private readonly exits = new Map<string, number>();
  private readonly execs = new Map<string, ExecRecord>();

  /** An attach before the start: the start will run the container attached to it. */
  attachBeforeStart(containerId: string, attachment: Attachment): void {
    const list = this.pending.get(containerId) ?? [];
    list.push(attachment);
    this.pending.set(containerId, list);
    attachment.output.once('close', () => {
      const left = (this.pending.get(containerId) ?? []).filter((a) => a !== attachment);
      if (left.length > 0) this.pending.set(containerId, left);
      else this.pending.delete(containerId);
    });
  }

  /** The clients waiting for the container's start (none: start it detached). */
  takeAttachments(containerId: string): Attachment[] {
    const list = (this.pending.get(containerId) ?? []).filter((a) => !a.output.destroyed);
    this.pending.delete(containerId);
    return list;
  }

  /** Keeps an exec instance; the oldest finished ones go once there are many (a long-lived service). */
  addExec(record: ExecRecord): void {
    this.execs.set(record.id, record);
    if (this.execs.size <= MAX_EXECS) return;
    for (const [id, r] of this.execs) {
      if (this.execs.size <= MAX_EXECS) break;
      if (r.started && !r.running) this.execs.delete(id);
    }
  }

  exec(id: string): ExecRecord | undefined {
    return this.execs.get(id);
  }

  recordExit(containerId: string, exitCode: number): void {
    this.exits.set(containerId, exitCode);
    // Kept for the waits of a short while only: the set stays small in a long-lived service.
    if (this.exits.size > 1000) this.exits.delete(this.exits.keys().next().value as string);
  }

  lastExit(containerId: string): number | undefined {
    return this.exits.get(containerId);
  }
}

const byEngine = new WeakMap<Engine, ContainerSessions>();

/** The sessions of the service serving this engine. */
export function sessionsOf(engine: Engine): ContainerSessions {
  let sessions = byEngine.get(engine);
  if (sessions === undefined) {
    sessions = new ContainerSessions();
    byEngine.set(engine, sessions);
  }
  return sessions;
}
