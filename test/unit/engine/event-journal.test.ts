// The store's events journal: bounded by rotation (two generations at most), read back oldest
// first, and a tail that sees every event appended by another writer, across rotations too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../../src/engine/index.ts';
import { EventJournal, type StoreEvent } from '../../../src/engine/event-journal.ts';
import { eventually } from '../../helpers/eventually.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

test('past its size the journal rotates: two generations at most, each near the bound; the newest events are kept', () => {
  const dir = join(tempDir(), 'events');
  const journal = new EventJournal(dir, 4096);
  for (let i = 0; i < 1000; i++) journal.append('volume', 'create', `vol-${i}`);
  assert.deepEqual(readdirSync(dir).sort(), ['journal.1.jsonl', 'journal.jsonl']);
  for (const name of readdirSync(dir)) assert.ok(statSync(join(dir, name)).size <= 4096 + 200, `${name} is bounded`);
  const kept = journal.read().map((e) => e.Actor.ID);
  assert.equal(kept.at(-1), 'vol-999');
  assert.ok(kept.length > 20 && kept.length < 100, `${kept.length} events kept`);
  // Oldest first and without a gap.
  const first = Number(kept[0]?.slice(4));
  assert.deepEqual(kept, kept.map((_, i) => `vol-${first + i}`));
});

test('a tail sees what another writer appends, in order, across rotations; not what was there before', async () => {
  const dir = join(tempDir(), 'events');
  const writer = new EventJournal(dir, 2048);
  writer.append('image', 'tag', 'before');
  const seen: string[] = [];
  const tail = new EventJournal(dir, 2048).tail((e: StoreEvent) => seen.push(e.Actor.ID));
  try {
    const expected: string[] = [];
    for (let i = 0; i < 200; i++) {
      writer.append('image', 'tag', `id-${i}`);
      expected.push(`id-${i}`);
      // Every few events the tail reads, as inotify would wake it, so rotations happen between reads.
      if (i % 7 === 0) tail.poke();
    }
    await eventually(() => (seen.length >= expected.length ? true : undefined), 10_000, 'the tail to catch up');
    assert.deepEqual(seen, expected);
  } finally {
    tail.stop();
  }
});

test('a line cut short (a crash mid-append) is skipped, the others read', () => {
  const dir = join(tempDir(), 'events');
  const journal = new EventJournal(dir);
  journal.append('volume', 'create', 'a');
  appendFileSync(join(dir, 'journal.jsonl'), '{"Type":"volume","Act');
  journal.append('volume', 'create', 'b');
  assert.deepEqual(journal.read().map((e) => e.Actor.ID), ['a', 'b']);
});

test('a journal that cannot be written (its directory is a file here) fails no command: the store opens, the change is made', () => {
  const root = join(tempDir(), 'store');
  mkdirSync(root);
  writeFileSync(join(root, 'events'), 'not a directory');
  const engine = Engine.open({ root });
  try {
    const event = engine.events.append('volume', 'create', 'v');
    assert.equal(event.Actor.ID, 'v');
    assert.deepEqual(engine.events.read(), []);
  } finally {
    engine.close();
  }
});

test('four processes appending at once: every line whole, none lost (one O_APPEND write a line)', async () => {
  const dir = join(tempDir(), 'events');
  const { spawn } = await import('node:child_process');
  const script = `import { EventJournal } from ${JSON.stringify(new URL('../../../src/engine/event-journal.ts', import.meta.url).pathname)};
const j = new EventJournal(process.argv[1], 64 * 1024 * 1024);
for (let i = 0; i < 500; i++) j.append('image', 'tag', process.argv[2] + '-' + i, { name: 'x'.repeat(i % 300) });`;
  const writers = ['a', 'b', 'c', 'd'].map((name) => new Promise<number | null>((resolve) => {
    spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir, name], { stdio: 'inherit' }).once('exit', resolve);
  }));
  assert.deepEqual(await Promise.all(writers), [0, 0, 0, 0]);
  const lines = readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 2000);
  const ids = new Set(lines.map((l) => (JSON.parse(l) as StoreEvent).Actor.ID));
  assert.equal(ids.size, 2000);
});
