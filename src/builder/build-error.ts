/**
 * A failed build, reported as BuildKit reports it: the step that failed with the last lines
 * of its output, the Dockerfile lines around the instruction, and the cause.
 *
 *   ------
 *    > [2/2] RUN exit 7:
 *   ------
 *   Dockerfile:2
 *   --------------------
 *      1 |     FROM busybox
 *      2 | >>> RUN exit 7
 *   --------------------
 *   ERROR: failed to solve: process "/bin/sh -c exit 7" did not complete successfully: exit code: 7
 */
import { StrataError, type ErrorCode } from '../errdefs/index.ts';

export interface BuildErrorDetails {
  /** The vertex name of the failed step: `[2/2] RUN exit 7`. */
  step?: string;
  /** Its last output lines. */
  logs?: string[];
  /** The Dockerfile and the lines of the instruction that failed. */
  dockerfile?: { name: string; text: string };
  lines?: { start: number; end: number };
}

export class BuildError extends StrataError {
  readonly details: BuildErrorDetails;

  constructor(code: ErrorCode, message: string, details: BuildErrorDetails, options: { cause?: unknown; hint?: string } = {}) {
    super(code, message, options);
    this.name = 'BuildError';
    this.details = details;
  }
}

/** The Dockerfile lines around an instruction, as BuildKit prints them. */
export function dockerfileSnippet(name: string, text: string, start: number, end: number): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const from = Math.max(1, start - 4);
  const to = Math.min(lines.length, end + 2);
  const width = String(to).length;
  const out = [end > start ? `${name}:${start}-${end}` : `${name}:${start}`, '--------------------'];
  for (let n = from; n <= to; n++) {
    const marker = n >= start && n <= end ? '>>>' : '   ';
    out.push(` ${String(n).padStart(width + 2)} | ${marker} ${lines[n - 1] ?? ''}`.replace(/\s+$/, ''));
  }
  out.push('--------------------');
  return out.join('\n');
}

/** The whole report of a failed build (without the final `ERROR:` line). */
export function formatBuildFailure(err: BuildError): string {
  const parts: string[] = [];
  const d = err.details;
  if (d.step !== undefined) {
    const logs = d.logs ?? [];
    parts.push('------', ` > ${d.step}:`, ...logs.map((l) => `${d.step?.length ? '' : ''}${l}`), '------');
  }
  if (d.dockerfile !== undefined && d.lines !== undefined) {
    parts.push(dockerfileSnippet(d.dockerfile.name, d.dockerfile.text, d.lines.start, d.lines.end));
  }
  return parts.join('\n');
}
