/** Pull and push progress as dockerd's JSON messages (jsonmessage.JSONMessage). */
import type { ProgressEvent } from '../registry/index.ts';
import type { JsonStream } from './router.ts';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** docker's units.HumanSize: decimal, 4 significant digits (`1.234MB`). */
function humanSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(4))}${UNITS[unit]}`;
}

/** JSONProgress.String() as dockerd renders it (no terminal: 200 columns, bar included). */
function progressBar(current: number, total: number | undefined): string {
  if (total === undefined || total <= 0) return current > 0 ? humanSize(current).padStart(8) : '';
  const percentage = Math.min(50, Math.trunc(Math.trunc((current / total) * 100) / 2));
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] ${numbers}`;
}

export function progressMessage(event: ProgressEvent): Record<string, unknown> {
  if (event.type === 'message') return { status: event.text, ...(event.id !== undefined ? { id: event.id } : {}) };
  if (event.current === undefined) return { status: event.action, progressDetail: {}, id: event.id };
  return {
    status: event.action,
    progressDetail: { current: event.current, ...(event.total !== undefined ? { total: event.total } : {}) },
    progress: progressBar(event.current, event.total),
    id: event.id,
  };
}

/** A listener that writes each progress event into a JSON stream. */
export function streamProgress(stream: JsonStream): (event: ProgressEvent) => void {
  return (event) => stream.write(progressMessage(event));
}
