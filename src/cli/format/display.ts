/**
 * Shortening for display, as docker/cli's formatter does it: 12-character IDs and
 * `…`-ellipsised text measured in terminal columns.
 */
import { runeWidth } from './text-width.ts';

/**
 * docker's TruncateID (stringid.TruncateID): drops everything up to the first `:`
 * (the `sha256:` algorithm prefix) and keeps at most 12 characters.
 */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  if (colon >= 0) id = id.slice(colon + 1);
  return id.length > 12 ? id.slice(0, 12) : id;
}

/**
 * docker/cli's `formatter.Ellipsis`: cuts `s` to at most `maxWidth` display columns,
 * the last of them an `…`. Counts columns, not bytes: wide (CJK, emoji) characters take
 * two. `maxWidth` ≤ 0 gives "", 1 gives the first character alone.
 */
export function ellipsis(s: string, maxWidth: number): string {
  if (maxWidth <= 0) return '';
  const runes = Array.from(s);
  if (maxWidth === 1) return runes[0] ?? '';
  // ASCII-only fast path: one column per character, as docker's byte-length check does.
  if (/^[\x00-\x7f]*$/.test(s)) {
    if (s.length <= maxWidth) return s;
    return s.slice(0, maxWidth - 1) + '…';
  }
  const display: number[] = [];
  let width = 0;
  for (const r of runes) {
    width += charWidth(r.codePointAt(0) ?? 0);
    display.push(width);
  }
  if (width <= maxWidth) return s;
  for (let i = 0; i < display.length; i++) {
    const cur = display[i] ?? 0;
    const next = display[i + 1] ?? Infinity;
    if (cur <= maxWidth - 1 && next > maxWidth - 1) return runes.slice(0, i + 1).join('') + '…';
  }
  // The first character alone is wider than the room: docker returns the string whole.
  return s;
}

/** x/text/width's view used by Ellipsis: wide and fullwidth take 2, all else (even combining marks) 1. */
function charWidth(cp: number): number {
  return runeWidth(cp) === 2 ? 2 : 1;
}
