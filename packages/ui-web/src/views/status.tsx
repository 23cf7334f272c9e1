import type { ComponentChildren } from 'preact';
import type { Loaded } from '../api.ts';

/** Loading and error states around a view's content. */
export function Status<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (loaded.state === 'loading') return <p class="muted">Loading…</p>;
  if (loaded.state === 'error') return <p class="error" role="alert">{loaded.message}</p>;
  return <>{children(loaded.data)}</>;
}
