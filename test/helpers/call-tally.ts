/**
 * Counts CLI calls by command and outcome (ok, or the kind of failure), keeps the calls that
 * failed in a way docker never would, and prints the counts as a table.
 */
import { failureKind } from './failure-kinds.ts';
import type { GuardedResult } from './guarded-cli.ts';

const GROUPS = new Set(['image', 'container', 'builder', 'volume', 'system', 'network']);

/** `image prune` for `image prune -a -f`, `run` for `run --rm …`. */
export function commandOf(args: readonly string[]): string {
  const first = args[0] ?? '';
  return GROUPS.has(first) && args[1] !== undefined ? `${first} ${args[1]}` : first;
}

export interface WrongOutput {
  kind: string;
  detail: string;
}

export class CallTally {
  private readonly counts = new Map<string, Map<string, number>>();
  /** Calls that failed as docker never would, with what they printed. */
  readonly defects: string[] = [];

  /**
   * Counts a call; returns its outcome: 'ok' or the kind of failure. `wrongOutput` says what
   * is wrong with the output of a call that exited 0 (a defect too).
   */
  add(r: GuardedResult, wrongOutput?: WrongOutput): string {
    let outcome = 'ok';
    if (wrongOutput !== undefined && r.status === 0 && !r.hung) {
      outcome = wrongOutput.kind;
      this.defects.push(`${wrongOutput.kind}: strata ${r.args.join(' ')}: ${wrongOutput.detail}`);
    } else if (r.status !== 0 || r.hung || r.signal !== null) {
      const f = failureKind(r);
      outcome = f.kind;
      if (!f.dockerStyle) this.defects.push(`${f.kind}: strata ${r.args.join(' ')} (exit ${r.status}${r.hung ? ', hung' : ''})\n${r.stderr.trim().split('\n').slice(0, 12).join('\n')}`);
    }
    this.count(commandOf(r.args), outcome);
    return outcome;
  }

  get calls(): number {
    let n = 0;
    for (const row of this.counts.values()) for (const c of row.values()) n += c;
    return n;
  }

  /** Failures by kind over all commands. */
  failuresByKind(): Map<string, number> {
    const total = new Map<string, number>();
    for (const row of this.counts.values()) {
      for (const [kind, c] of row) if (kind !== 'ok') total.set(kind, (total.get(kind) ?? 0) + c);
    }
    return new Map([...total].sort((a, b) => b[1] - a[1]));
  }

  /** One row per command: calls, ok, then each kind of failure with its count. */
  table(): string[] {
    const rows = [...this.counts].sort((a, b) => a[0].localeCompare(b[0]));
    const width = Math.max(7, ...rows.map(([cmd]) => cmd.length));
    const lines = [`${'command'.padEnd(width)}  calls     ok  failures by kind`];
    for (const [cmd, row] of rows) {
      let calls = 0;
      for (const c of row.values()) calls += c;
      const failures = [...row].filter(([k]) => k !== 'ok').map(([k, c]) => `${k} ×${c}`).join(', ');
      lines.push(`${cmd.padEnd(width)}  ${String(calls).padStart(5)}  ${String(row.get('ok') ?? 0).padStart(5)}  ${failures}`);
    }
    const kinds = [...this.failuresByKind()].map(([k, c]) => `${k} ×${c}`).join(', ');
    lines.push(`${'total'.padEnd(width)}  ${String(this.calls).padStart(5)}  ${String(this.okCount()).padStart(5)}  ${kinds}`);
    return lines;
  }

  private okCount(): number {
    let n = 0;
    for (const row of this.counts.values()) n += row.get('ok') ?? 0;
    return n;
  }

  private count(command: string, outcome: string): void {
    const row = this.counts.get(command) ?? new Map<string, number>();
    row.set(outcome, (row.get(outcome) ?? 0) + 1);
    this.counts.set(command, row);
  }
}
