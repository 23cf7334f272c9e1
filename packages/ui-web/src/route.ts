// Hash routes (#/images, #/image/ID, #/layer/CHAIN…): the server serves one page.
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  view: string;
  arg: string;
  /** A second argument: the image a layer was opened from. */
  arg2: string;
}

export function parseRoute(hash: string): Route {
  const [view = 'images', arg = '', arg2 = ''] = hash.replace(/^#\/?/, '').split('/');
  return { view: view === '' ? 'images' : view, arg: decodeURIComponent(arg), arg2: decodeURIComponent(arg2) };
}

export function href(view: string, ...args: string[]): string {
  return [`#/${view}`, ...args.map((a) => encodeURIComponent(a))].join('/');
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
