/**
 * `COPY/ADD --chmod` values as BuildKit accepts them: an octal mode (`755`, `0644`) up to 07777,
 * or a symbolic mode as in chmod(1) (`u+x`, `go-w`, `a=rX`, `u=rwx,go=u-w`), applied to each
 * copied file with BSD setmode semantics and no umask.
 */
import { DetailError } from './errors.ts';
import { parseGoUint } from './go-format.ts';

export type ChmodSpec =
  | { kind: 'octal'; mode: number }
  | { kind: 'symbolic'; text: string; apply: (mode: number, isDir: boolean) => number };

/**
 * Parses a --chmod value (already expanded). Throws BuildKit's error: `invalid chmod parameter:
 * '…'. it should be octal string and between 0 and 07777` for numeric-looking values, `invalid
 * syntax` for bad symbolic ones.
 */
export function parseChmod(value: string): ChmodSpec {
  const nonOctal = (): DetailError =>
    new DetailError(`invalid chmod parameter: '${value}'. it should be octal string and between 0 and 07777`);
  const octal = parseGoUint(value, 8, 32);
  if (octal !== undefined) {
    if (octal > 0o7777) throw nonOctal();
    return { kind: 'octal', mode: octal };
  }
  const cmds = parseSymbolic(value, nonOctal);
  return { kind: 'symbolic', text: value, apply: (mode, isDir) => applyCommands(cmds, mode, isDir) };
}

const IS_UID = 0o4000;
const IS_GID = 0o2000;
const IS_TXT = 0o1000;
const RWXU = 0o700;
const RWXG = 0o070;
const RWXO = 0o007;
const STANDARD = IS_UID | IS_GID | RWXU | RWXG | RWXO;
const MASK = 0xffff; // no umask

type Op = '+' | '-' | 'X' | 'u' | 'g' | 'o';
interface Cmd {
  op: Op;
  bits: number;
  copyUser?: boolean;
  copyGroup?: boolean;
  copyOther?: boolean;
  set?: boolean;
  clear?: boolean;
}

function syntax(): DetailError {
  return new DetailError('invalid syntax');
}

function parseSymbolic(input: string, nonOctal: () => DetailError): Cmd[] {
  if (input === '') throw syntax();
  const cmds: Cmd[] = [];
  const add = (op: '+' | '-' | '=' | 'X' | 'u' | 'g' | 'o', who: number, arg: number | string): void => {
    if (op === '=') {
      cmds.push({ op: '-', bits: who !== 0 ? who : STANDARD });
      op = '+';
    }
    if (op === '+' || op === '-' || op === 'X') {
      const perm = arg as number;
      cmds.push({ op, bits: who !== 0 ? who & perm : MASK & perm });
      return;
    }
    const c: Cmd = { op, bits: MASK };
    if (who !== 0) {
      c.copyUser = (who & 0o400) !== 0;
      c.copyGroup = (who & 0o040) !== 0;
      c.copyOther = (who & 0o004) !== 0;
    } else {
      c.copyUser = c.copyGroup = c.copyOther = true;
    }
    c.set = arg === '+' || arg === '=';
    c.clear = arg === '-' || arg === '=';
    cmds.push(c);
  };

  // An absolute (numeric) mode that did not parse as octal above.
  if (/^[0-9]/.test(input)) {
    if (!/^[0-7]+$/.test(input)) throw nonOctal();
    const v = Number.parseInt(input, 8);
    if (v >= 0x8000) throw nonOctal();
    if ((v & ~(STANDARD | IS_TXT)) !== 0) throw syntax();
    add('=', STANDARD | IS_TXT, v);
    return cmds;
  }

  let s = input;
  for (;;) {
    let who = 0;
    for (;;) {
      if (s.length === 0) throw syntax();
      const c = s[0];
      if (c === 'a') who |= STANDARD;
      else if (c === 'u') who |= IS_UID | RWXU;
      else if (c === 'g') who |= IS_GID | RWXG;
      else if (c === 'o') who |= RWXO;
      else break;
      s = s.slice(1);
    }
    // One or more operations for this set of users: `u+r-w`.
    for (;;) {
      const op = s[0];
      s = s.slice(1);
      if (op !== '+' && op !== '-' && op !== '=') throw syntax();
      let equalDone = false;
      who &= ~IS_TXT;
      let perm = 0;
      let permX = 0;
      for (;; s = s.slice(1)) {
        const b = s[0] ?? '';
        if (b === 'r') perm |= 0o444;
        else if (b === 's') {
          if (who === 0 || (who & ~RWXO) !== 0) perm |= IS_UID | IS_GID;
        } else if (b === 't') {
          if (who === 0 || (who & ~RWXO) !== 0) {
            who |= IS_TXT;
            perm |= IS_TXT;
          }
        } else if (b === 'w') perm |= 0o222;
        else if (b === 'X') {
          if (op !== '-') permX = 0o111;
          else perm |= 0o111;
        } else if (b === 'x') perm |= 0o111;
        else if (b === 'u' || b === 'g' || b === 'o') {
          if (perm !== 0) {
            add(op, who, perm);
            perm = 0;
          }
          if (op === '=') equalDone = true;
          if (permX !== 0) {
            add('X', who, permX);
            permX = 0;
          }
          add(b, who, op);
        } else {
          // `=` with nothing after it (`o=`) still clears the bits.
          if (perm !== 0 || (op === '=' && !equalDone)) add(op, who, perm);
          if (permX !== 0) add('X', who, permX);
          break;
        }
      }
      if (s === '' || s[0] === ',') break;
    }
    if (s === '') return cmds;
    s = s.slice(1);
  }
}

function applyCommands(cmds: Cmd[], mode: number, isDir: boolean): number {
  const original = mode & 0o7777;
  let m = original;
  const common = (c: Cmd, value: number): void => {
    if (c.clear) {
      const clr = c.set ? RWXO : value;
      if (c.copyUser) m &= ~((clr << 6) & c.bits);
      if (c.copyGroup) m &= ~((clr << 3) & c.bits);
      if (c.copyOther) m &= ~(clr & c.bits);
    }
    if (c.set) {
      if (c.copyUser) m |= (value << 6) & c.bits;
      if (c.copyGroup) m |= (value << 3) & c.bits;
      if (c.copyOther) m |= value & c.bits;
    }
  };
  for (const c of cmds) {
    switch (c.op) {
      case 'u': common(c, (m & RWXU) >> 6); break;
      case 'g': common(c, (m & RWXG) >> 3); break;
      case 'o': common(c, m & RWXO); break;
      case '+': m |= c.bits; break;
      case '-': m &= ~c.bits; break;
      case 'X': if ((original & 0o111) !== 0 || isDir) m |= c.bits; break;
    }
  }
  return (mode & ~0o7777) | (m & 0o7777);
}
