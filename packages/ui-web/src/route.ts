// Hash routes (#/images, #/image/ID, #/layer/CHAIN…): the server serves one page.
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  view: string;
  arg: string;
}

export function parseRoute(hash: string): Route {
  const [view = 'images', ...rest] = hash.replace(/^#\/?/, '').split('/');
  return { view: view === '' ? 'images' : view, arg: decodeURIComponent(rest.join('/')) };
}

export function href(view: string, arg?: string): string {
  return arg === undefined ? `#/${view}` : `#/${view}/${encodeURIComponent(arg)}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
