/**
 * Sizes as docker prints and parses them (docker/go-units size.go), for every front end (the
 * CLI's columns, the Engine API's progress bars): decimal units
 * with Go's `%.*g` (so `999.5kB`'s neighbour 999,500 B prints `1e+03kB`), binary
 * units for `BytesSize`, and the parser behind `--memory`, `--shm-size` and filters.
 */
import { formatFloat } from '@strata/go-template';
import { invalidArgument } from '../errdefs/index.ts';

const decimalAbbrs = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const binaryAbbrs = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function sizeAndUnit(size: number, base: number, abbrs: readonly string[]): [number, string] {
  let i = 0;
  while (size >= base && i < abbrs.length - 1) {
    size /= base;
    i++;
  }
  return [size, abbrs[i] ?? 'B'];
}

/** Go's `%.{precision}g` of a float64. */
function goG(x: number, precision: number): string {
  return formatFloat(x, 'g', precision);
}

/** go-units HumanSizeWithPrecision: decimal units, `precision` significant digits (`1.985MB` at 4). */
export function humanSizeWithPrecision(bytes: number, precision: number): string {
  const [size, unit] = sizeAndUnit(bytes, 1000, decimalAbbrs);
  return goG(size, precision) + unit;
}

/** What docker prints in SIZE columns: go-units HumanSizeWithPrecision(bytes, 3) — `0B`, `3.22kB`, `21MB`. */
export function humanSize(bytes: number): string {
  return humanSizeWithPrecision(bytes, 3);
}

/** go-units HumanSize: 4 significant digits (docker's `VirtualSize`, `system df -v`). */
export function humanSize4(bytes: number): string {
  return humanSizeWithPrecision(bytes, 4);
}

/** go-units BytesSize: binary units, 4 significant digits (`44KiB`, `17MiB`), used by `docker stats`. */
export function bytesSize(bytes: number): string {
  const [size, unit] = sizeAndUnit(bytes, 1024, binaryAbbrs);
  return goG(size, 4) + unit;
}

const decimalMap: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };
const binaryMap: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

function parseGoFloat(text: string): number | undefined {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  return undefined;
}

function parseSizeWith(sizeStr: string, units: Record<string, number>): number {
  let num: string;
  let sfx: string;
  const space = sizeStr.indexOf(' ');
  if (space >= 0) {
    num = sizeStr.slice(0, space);
    sfx = sizeStr.slice(space + 1);
  } else {
    let sep = -1;
    for (let i = sizeStr.length - 1; i >= 0; i--) {
      if ('01234567890.'.includes(sizeStr[i] ?? '')) {
        sep = i;
        break;
      }
    }
    if (sep === -1) throw invalidArgument(`invalid size: '${sizeStr}'`);
    num = sizeStr.slice(0, sep + 1);
    sfx = sizeStr.slice(sep + 1);
  }
  let size = parseGoFloat(num);
  if (size === undefined) throw invalidArgument(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`);
  if (size < 0) throw invalidArgument(`invalid size: '${sizeStr}'`);
  if (sfx.length === 0) return Math.trunc(size);
  const bad = (): never => {
    throw invalidArgument(`invalid suffix: '${sfx}'`);
  };
  if (sfx.length > 3) bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) bad();
    return Math.trunc(size);
  }
  const mul = units[sfx[0] ?? ''];
  if (mul === undefined) return bad();
  size *= mul;
  if (sfx.length === 2 && sfx[1] !== 'b') bad();
  if (sfx.length === 3 && sfx.slice(1) !== 'ib') bad();
  return Math.trunc(size);
}

/**
 * go-units RAMInBytes: `512m`, `1g`, `1.5GiB`, `100` — binary multiples, case-insensitive,
 * optional `b`/`ib`. Throws invalid-argument with go-units' message (`invalid size: 'x'`,
 * `invalid suffix: 'q'`).
 */
export function parseRAMInBytes(text: string): number {
  return parseSizeWith(text, binaryMap);
}

/** go-units FromHumanSize: like parseRAMInBytes with decimal multiples (`44kB` = 44,000). */
export function parseHumanSize(text: string): number {
  return parseSizeWith(text, decimalMap);
}
