/**
 * docker's size and CPU flag values (docker/go-units and docker/cli's NanoCPUs), so
 * `--memory 64m`, `--shm-size 1g`, `tmpfs-size=2m` and `--cpus 1.5` read as docker reads them.
 */
import { invalidArgument } from '../errdefs/index.ts';

const RAM_PATTERN = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const BINARY: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/**
 * go-units RAMInBytes: a number with an optional binary suffix (`k`, `m`, `g`, `t`, `p`,
 * optionally followed by `i` and/or `b`, any case); `64m` is 67108864.
 * @throws invalid-argument `invalid size: 'x'`.
 */
export function parseRamBytes(text: string): number {
  const m = RAM_PATTERN.exec(text);
  if (m === null) throw invalidArgument(`invalid size: '${text}'`);
  const value = Number.parseFloat(m[1] as string);
  if (!Number.isFinite(value)) throw invalidArgument(`invalid size: '${text}'`);
  const unit = m[2]?.toLowerCase();
  return Math.trunc(value * (unit === undefined ? 1 : (BINARY[unit] ?? 1)));
}

/**
 * `--cpus 1.5` as docker's NanoCPUs (1_500_000_000).
 * @throws invalid-argument `invalid argument "x" for "--cpus" flag: failed to parse x as a rational number`.
 */
export function parseNanoCpus(text: string): number {
  const m = /^\s*(\d+)?(?:\.(\d+))?\s*$/.exec(text);
  if (m === null || (m[1] === undefined && m[2] === undefined)) {
    throw invalidArgument(`invalid argument "${text}" for "--cpus" flag: failed to parse ${text} as a rational number`);
  }
  const whole = BigInt(m[1] ?? '0');
  const frac = m[2] ?? '';
  const nanos = whole * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
  if (frac.length > 9 && /[1-9]/.test(frac.slice(9))) {
    throw invalidArgument(`invalid argument "${text}" for "--cpus" flag: value is too precise`);
  }
  return Number(nanos);
}
