/**
 * `WWW-Authenticate` challenges (RFC 7235) as registries send them:
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"`
 * or `Basic realm="Registry Realm"`. Several challenges may share one header.
 */

export interface Challenge {
  /** Lower-case scheme: `bearer`, `basic`. */
  scheme: string;
  /** Parameters with lower-case names. */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;

/** Parses one or more header values into challenges; malformed parts are skipped. */
export function parseChallenges(headers: string | string[] | undefined): Challenge[] {
  if (headers === undefined) return [];
  const out: Challenge[] = [];
  for (const header of Array.isArray(headers) ? headers : [headers]) out.push(...parseOne(header));
  return out;
}

function parseOne(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const skipSpace = (): void => {
    while (i < header.length && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const token = (): string | undefined => {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(header);
    if (!m) return undefined;
    i = TOKEN.lastIndex;
    return m[0];
  };
  let current: Challenge | undefined;
  while (i < header.length) {
    skipSpace();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const word = token();
    if (word === undefined) {
      i++;
      continue;
    }
    skipSpace();
    if (header[i] === '=') {
      i++;
      skipSpace();
      let value: string;
      if (header[i] === '"') {
        i++;
        value = '';
        while (i < header.length && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < header.length) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        value = token() ?? '';
      }
      // A parameter before any scheme belongs to no challenge and is dropped.
      if (current !== undefined) current.params[word.toLowerCase()] = value;
      continue;
    }
    current = { scheme: word.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}
