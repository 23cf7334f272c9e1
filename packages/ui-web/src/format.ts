// Sizes and times as docker's CLI prints them (`1.99MB`, `5 minutes ago`).
const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

export function humanSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(3))}${UNITS[unit]}`;
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

export function timeAgo(seconds: number, now = Date.now() / 1000): string {
  if (seconds <= 0) return 'N/A';
  const d = Math.max(0, now - seconds);
  const steps: [number, string][] = [[60 * 60 * 24 * 365, 'year'], [60 * 60 * 24 * 30, 'month'], [60 * 60 * 24 * 7, 'week'], [60 * 60 * 24, 'day'], [60 * 60, 'hour'], [60, 'minute']];
  for (const [span, name] of steps) {
    const n = Math.floor(d / span);
    if (n >= 1) return n === 1 ? `${name === 'hour' ? 'About an' : 'a'} ${name} ago` : `${n} ${name}s ago`;
  }
  return d < 1 ? 'Less than a second ago' : `${Math.floor(d)} seconds ago`;
}

/** `repo:tag` split as docker's images table shows it. */
export function splitTag(name: string): [string, string] {
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? [name.slice(0, colon), name.slice(colon + 1)] : [name, 'latest'];
}
