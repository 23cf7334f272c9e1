/**
 * `-u` resolution against a rootfs's /etc/passwd and /etc/group, with the semantics of
 * moby/sys/user (what docker and runc use): numeric IDs need no entry, names must have
 * one, a user's supplementary groups come from the group file when no group is given.
 */
import { invalidArgument } from '../errdefs/index.ts';

export interface PasswdEntry { name: string; uid: number; gid: number; home: string; shell: string }
export interface GroupEntry { name: string; gid: number; members: string[] }

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** The primary gid first, then the user's supplementary groups, then `--group-add`, as docker writes them. */
  additionalGids: number[];
  home: string;
}

const MAX_ID = 2 ** 31 - 1;
const RANGE_ERROR = `uids and gids must be in range 0-${MAX_ID}`;

/** Go's strconv.Atoi: optional sign, decimal digits only. */
function atoi(text: string): number | undefined {
  return /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
}

/** Fields as moby/sys/user parses them: numbers that don't parse become 0. */
function field(parts: string[], i: number): string {
  return parts[i] ?? '';
}

function lines(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).map((line) => {
    const p = line.split(':');
    return {
      name: field(p, 0), uid: atoi(field(p, 2)) ?? 0, gid: atoi(field(p, 3)) ?? 0,
      home: field(p, 5), shell: field(p, 6),
    };
  });
}

export function parseGroup(text: string): GroupEntry[] {
  return lines(text).filter((l) => !l.startsWith('#')).map((line) => {
    const p = line.split(':');
    const list = field(p, 3);
    return { name: field(p, 0), gid: atoi(field(p, 2)) ?? 0, members: list === '' ? [] : list.split(',') };
  });
}

/** Numeric ID in range, or undefined for a name. @throws invalid-argument for an out-of-range number. */
function numeric(text: string): number | undefined {
  if (text === '') return undefined;
  const n = atoi(text);
  if (n === undefined) return undefined;
  if (n < 0 || n > MAX_ID || !Number.isSafeInteger(n)) throw invalidArgument(RANGE_ERROR);
  return n;
}

/**
 * Resolves a user spec (`""`, `uid`, `name`, `uid:gid`, `name:group`, …) and `--group-add`.
 * `passwd`/`group` are the files' contents, or undefined when the rootfs has none.
 * @throws invalid-argument `unable to find user nope: no matching entries in passwd file`,
 *   `unable to find group x: no matching entries in group file`, or the range error.
 */
export function resolveUser(
  spec: string,
  files: { passwd?: string; group?: string },
  groupAdd: readonly string[] = [],
): ResolvedUser {
  const [userArg = '', groupArg = ''] = spec.split(':');
  const uidArg = numeric(userArg);
  const gidArg = numeric(groupArg);
  let uid = 0;
  let gid = 0;
  let home = '/';
  let sgids: number[] = [];

  const users = parsePasswd(files.passwd ?? '').filter((u) =>
    userArg === '' ? u.uid === 0 : uidArg !== undefined ? u.uid === uidArg : u.name === userArg);
  let matchedName = '';
  const first = users[0];
  if (first !== undefined) {
    matchedName = first.name;
    uid = first.uid;
    gid = first.gid;
    home = first.home;
  } else if (userArg !== '') {
    if (uidArg === undefined) throw invalidArgument(`unable to find user ${userArg}: no matching entries in passwd file`);
    uid = uidArg;
  }

  if (groupArg !== '' || matchedName !== '') {
    const groups = parseGroup(files.group ?? '').filter((g) =>
      groupArg === '' ? g.members.includes(matchedName) : gidArg !== undefined ? g.gid === gidArg : g.name === groupArg);
    if (groupArg !== '') {
      const g = groups[0];
      if (g !== undefined) gid = g.gid;
      else if (gidArg === undefined) throw invalidArgument(`unable to find group ${groupArg}: no matching entries in group file`);
      else gid = gidArg;
    } else {
      sgids = groups.map((g) => g.gid);
    }
  }

  const added = additionalGroups(groupAdd, files.group);
  const additionalGids: number[] = [gid];
  for (const g of [...sgids, ...added]) additionalGids.push(g);
  return { uid, gid, additionalGids, home };
}

/** `--group-add`: names must exist in the group file; numbers are taken as they are. Duplicates dropped. */
export function additionalGroups(names: readonly string[], groupFile: string | undefined): number[] {
  if (names.length === 0) return [];
  const groups = parseGroup(groupFile ?? '');
  const out: number[] = [];
  for (const name of names) {
    const n = numeric(name);
    const match = groups.find((g) => (n !== undefined ? g.gid === n : g.name === name));
    let gidValue: number;
    if (match !== undefined) {
      if (match.gid < 0 || match.gid > MAX_ID) throw invalidArgument(RANGE_ERROR);
      gidValue = match.gid;
    } else if (n !== undefined) {
      gidValue = n;
    } else {
      throw invalidArgument(`unable to find group ${name}: no matching entries in group file`);
    }
    if (!out.includes(gidValue)) out.push(gidValue);
  }
  return out;
}
