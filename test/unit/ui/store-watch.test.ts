// The app's live updates: a commit by another connection to the database, and a container's
// state file replaced by its supervisor, each push a new generation on the event stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { StoreWatch } from '../../../src/ui/store-watch.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

/** Reads server-sent events from `res`; `next(n)` waits for the event announcing generation n. */
function events(res: IncomingMessage): { next: (generation: number) => Promise<void> } {
  let text = '';
  const waiters: { generation: number; resolve: () => void }[] = [];
  res.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of [...waiters]) {
      if (text.includes(`event: change\ndata: ${w.generation}\n\n`)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  return {
    next: (generation) =>
      new Promise((resolve) => {
        if (text.includes(`event: change\ndata: ${generation}\n\n`)) resolve();
        else waiters.push({ generation, resolve });
      }),
  };
}

test('another connection\'s commit and a replaced container state file each bump the generation', { timeout: 30_000 }, async () => {
  const dir = tempDir('strata-ui-watch-');
  const dbPath = join(dir, 'metadata.db');
  const watched = new Sqlite(dbPath);
  watched.pragma('journal_mode = WAL');
  watched.exec('CREATE TABLE t (x INTEGER)');
  const containers = join(dir, 'containers');
  mkdirSync(join(containers, 'c1'), { recursive: true });
  const watch = new StoreWatch(watched, containers);
  const server = createServer((_req, res) => watch.subscribe(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const other = new Sqlite(dbPath);
  try {
    const res = await new Promise<IncomingMessage>((resolve) => get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, resolve));
    assert.equal(res.headers['content-type'], 'text/event-stream');
    const stream = events(res);
    await stream.next(1);
    other.prepare('INSERT INTO t VALUES (1)').run();
    await stream.next(2);
    writeFileSync(join(containers, 'c1', 'state.json.tmp'), '{}');
    renameSync(join(containers, 'c1', 'state.json.tmp'), join(containers, 'c1', 'state.json'));
    await stream.next(3);
    // Its own connection's writes are not news (data_version moves only for other connections).
    watched.prepare('INSERT INTO t VALUES (2)').run();
    other.prepare('INSERT INTO t VALUES (3)').run();
    await stream.next(4);
    assert.equal(watch.generation, 4);
  } finally {
    watch.close();
    server.close();
    other.close();
    watched.close();
  }
});
