/** Pull and push progress as dockerd's JSON messages (jsonmessage.JSONMessage). */
import { humanSize4 } from '../internal/human-size.ts';
import type { ProgressEvent } from '../registry/index.ts';
import type { JsonStream } from './router.ts';

/** JSONProgress.String() as dockerd renders it (no terminal: 200 columns, bar included). */
function progressBar(current: number, total: number | undefined): string {
  if (total === undefined || total <= 0) return current > 0 ? humanSize4(current).padStart(8) : '';
  const percentage = Math.min(50, Math.trunc(Math.trunc((current / total) * 100) / 2));
  const numbers = current > total ? humanSize4(current).padStart(8) : `${humanSize4(current).padStart(8)}/${humanSize4(total)}`;
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
