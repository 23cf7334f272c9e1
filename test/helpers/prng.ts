/**
 * A small seeded pseudo-random generator (mulberry32), so that a randomized test prints its
 * seed and can be run again with the same choices.
 */
import { randomInt } from 'node:crypto';

export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A seed from the environment variable `name` when set (decimal), else a fresh random one. */
  static seedFrom(name: string): number {
    const text = process.env[name];
    if (text === undefined || text === '') return randomInt(0, 2 ** 32);
    const seed = Number(text);
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`${name}=${text}: a seed is a whole number from 0 to ${2 ** 32 - 1}`);
    return seed;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array, or undefined for an empty one. */
  pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.int(items.length)];
  }

  /** A key chosen with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    let r = this.next() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [key, w] of entries) {
      r -= w;
      if (r < 0) return key;
    }
    return (entries.at(-1) as [K, number])[0];
  }

  /** `n` hex digits. */
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += this.int(16).toString(16);
    return s;
  }

  /** An independent generator for part `i` (a worker), derived from this one's seed. */
  fork(i: number): Prng {
    return new Prng(Math.imul(this.seed ^ 0x9e3779b9, 2654435761) + Math.imul(i + 1, 0x85ebca6b));
  }
}
