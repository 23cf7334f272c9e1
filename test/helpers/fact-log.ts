/**
 * A log of what successful commands reported about the store (an image was made, a name
 * now points to an image, an image was deleted), each with the interval of the call that
 * reported it. After concurrent commands, it tells what the store must hold: a key is
 * decided by its last fact when that fact's call started after every other call that
 * reported on the key had ended; when the last calls overlapped, the order is unknown and
 * the key is left out.
 */

export interface Interval {
  start: number;
  end: number;
  args: string[];
}

export interface Fact extends Interval {
  /** The key's value after the call; undefined when the call removed it. */
  value: string | undefined;
}

export class FactLog {
  private readonly facts = new Map<string, Fact[]>();

  note(key: string, value: string | undefined, at: Interval): void {
    const list = this.facts.get(key) ?? [];
    list.push({ ...at, value });
    this.facts.set(key, list);
  }

  keys(): string[] {
    return [...this.facts.keys()];
  }

  /** The deciding fact of every key whose last fact is ordered after all the others. */
  settled(): { decided: Map<string, Fact>; undecided: string[] } {
    const decided = new Map<string, Fact>();
    const undecided: string[] = [];
    for (const [key, list] of this.facts) {
      const last = list.reduce((a, b) => (b.start > a.start ? b : a));
      if (list.every((f) => f === last || f.end < last.start)) decided.set(key, last);
      else undecided.push(key);
    }
    return { decided, undecided };
  }
}

/** The names untagged and image IDs deleted, as `rmi` and the prune commands print them. */
export function removalsIn(stdout: string): { untagged: string[]; deleted: string[] } {
  const untagged: string[] = [];
  const deleted: string[] = [];
  for (const line of stdout.split('\n')) {
    const u = /^[Uu]ntagged: (\S+)$/.exec(line);
    if (u) untagged.push(u[1] as string);
    const d = /^[Dd]eleted: (sha256:[0-9a-f]{64})$/.exec(line);
    if (d) deleted.push(d[1] as string);
  }
  return { untagged, deleted };
}
