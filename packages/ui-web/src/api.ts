// Reading the server's JSON: one hook that refetches whenever the store's generation moves.
import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from './api-types.ts';

export type Loaded<T> = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ready'; data: T };

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  const body = (await res.json()) as T | ApiError;
  if (!res.ok) throw new Error((body as ApiError).message ?? `${res.status} ${res.statusText}`);
  return body as T;
}

/** `path`'s JSON, fetched again when `generation` changes (keeping the old data meanwhile); null path: nothing. */
export function useJson<T>(path: string | null, generation: number): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    if (path === null) return;
    let live = true;
    getJson<T>(path).then(
      (data) => live && setLoaded({ state: 'ready', data }),
      (err: Error) => live && setLoaded({ state: 'error', message: err.message }),
    );
    return () => {
      live = false;
    };
  }, [path, generation]);
  return loaded;
}

/** The store's generation, pushed by the server whenever another command changes the store. */
export function useGeneration(): { generation: number; connected: boolean } {
  const [generation, setGeneration] = useState(0);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const events = new EventSource('/api/events');
    events.addEventListener('change', (e) => setGeneration(Number((e as MessageEvent<string>).data)));
    events.onopen = () => setConnected(true);
    events.onerror = () => setConnected(false);
    return () => events.close();
  }, []);
  return { generation, connected };
}
