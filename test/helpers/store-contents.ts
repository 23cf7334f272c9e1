// Everything a store holds, to compare before and after a command that must change nothing:
// every file and directory under the root (with sizes), every row of every table, and what
// `system check` says.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { strata } from './strata-cli.ts';

function tree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const rel = `${prefix}${name}`;
    // SQLite's own files change size as it works; their rows are compared below.
    if (prefix === '' && name.startsWith('metadata.db')) continue;
    // The events journal grows with every command that succeeds, read-only ones such as save
    // included (docker reports those too); the events tests check what it holds.
    if (prefix === 'events/' && name.startsWith('journal')) continue;
    // Every build, a failed one included, records its steps there (build-history.test.ts checks them).
    if (prefix === 'builds/' && name.endsWith('.json')) continue;
    const st = lstatSync(path);
    if (st.isDirectory()) {
      const inside = tree(path, `${rel}/`);
      // A removal passes its directories through snapshots/trash/ and leaves it empty.
      if (rel === 'snapshots/trash' && inside.length === 0) continue;
      out.push(`${rel}/`, ...inside);
    } else {
      out.push(`${rel} ${st.size}`);
    }
  }
  return out;
}

function rows(root: string): Record<string, unknown[]> {
  const db = new Sqlite(join(root, 'metadata.db'), { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT * FROM "${t}"`).all() as unknown[]).map((r) => JSON.stringify(r)).sort()]));
  } finally {
    db.close();
  }
}

export interface StoreContents {
  files: string[];
  rows: Record<string, unknown[]>;
  check: string;
}

export function storeContents(root: string): StoreContents {
  // The check first: opening a store on a nearly full disk gives back its database's reserve.
  // Exit 1 when it names leftovers: the caller decides which it accepts.
  const checked = strata(root, ['system', 'check']);
  if (checked.status !== 0 && checked.status !== 1) throw new Error(`strata system check exited ${checked.status}: ${checked.stderr}`);
  const check = checked.stdout;
  return { files: tree(root), rows: rows(root), check };
}
