import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ProgressPrinter, progressText } from '../../../src/cli/commands/registry.ts';
import { ProgressReporter, type ProgressEvent } from '../../../src/registry/progress.ts';

function render(events: ProgressEvent[], terminal: boolean, width = 80): string {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const printer = new ProgressPrinter(out, terminal, () => width);
  for (const e of events) printer.handle(e);
  return text;
}

const pull: ProgressEvent[] = [
  { type: 'message', id: '1', text: 'Pulling from regx/big' },
  { type: 'progress', id: 'd9a31becf8f0', action: 'Pulling fs layer' },
  { type: 'progress', id: '599ea96d62b0', action: 'Pulling fs layer' },
  { type: 'progress', id: '599ea96d62b0', action: 'Downloading', current: 302_100, total: 30_010_000 },
  { type: 'progress', id: 'd9a31becf8f0', action: 'Downloading', current: 98_300, total: 8_003_000 },
  { type: 'progress', id: 'd9a31becf8f0', action: 'Verifying Checksum' },
  { type: 'progress', id: 'd9a31becf8f0', action: 'Pull complete' },
  { type: 'message', text: 'Digest: sha256:1819d1d687691f2e8f53940cddb40d6f91709340e81c455ca83a255e41ceadc5' },
];

test('on a terminal, layer lines are redrawn in place with docker\'s escape sequences', () => {
  // Recorded from `docker pull` (docker 28 CLI) in script(1) at 80 columns, with the tty's
  // \n → \r\n translation undone.
  const expected = '1: Pulling from regx/big\n'
    + '\n\x1b[1A\x1b[2K\rd9a31becf8f0: Pulling fs layer \r\x1b[1B'
    + '\n\x1b[1A\x1b[2K\r599ea96d62b0: Pulling fs layer \r\x1b[1B'
    + '\x1b[1A\x1b[2K\r599ea96d62b0: Downloading  302.1kB/30.01MB\r\x1b[1B'
    + '\x1b[2A\x1b[2K\rd9a31becf8f0: Downloading   98.3kB/8.003MB\r\x1b[2B'
    + '\x1b[2A\x1b[2K\rd9a31becf8f0: Verifying Checksum \r\x1b[2B'
    + '\x1b[2A\x1b[2K\rd9a31becf8f0: Pull complete \r\x1b[2B'
    + 'Digest: sha256:1819d1d687691f2e8f53940cddb40d6f91709340e81c455ca83a255e41ceadc5\n';
  assert.equal(render(pull, true), expected);
});

test('to a pipe, only status changes are printed, without byte counts', () => {
  assert.equal(render(pull, false), [
    '1: Pulling from regx/big', 'd9a31becf8f0: Pulling fs layer', '599ea96d62b0: Pulling fs layer',
    'd9a31becf8f0: Verifying Checksum', 'd9a31becf8f0: Pull complete',
    'Digest: sha256:1819d1d687691f2e8f53940cddb40d6f91709340e81c455ca83a255e41ceadc5', '',
  ].join('\n'));
});

test('progress text: the bar appears above 110 columns, sizes use 4 significant digits', () => {
  assert.equal(progressText(undefined, undefined, 200), '');
  assert.equal(progressText(5_000_000, 0, 200), '     5MB');
  assert.equal(progressText(12_300_000, 45_600_000, 80), '  12.3MB/45.6MB');
  assert.equal(progressText(12_300_000, 45_600_000, 120), `[=============>${' '.repeat(37)}]   12.3MB/45.6MB`);
  assert.equal(progressText(45_600_000, 45_600_000, 120), `[${'='.repeat(50)}>]   45.6MB/45.6MB`);
  assert.equal(progressText(50_000_000, 45_600_000, 80), '    50MB', 'a current past the total drops the total');
});

test('the reporter throttles byte updates of a line but never drops a status change or the last update', () => {
  const seen: ProgressEvent[] = [];
  const r = new ProgressReporter((e) => seen.push(e), 10_000);
  r.bytes('a', 'Downloading', 1, 100);
  r.bytes('a', 'Downloading', 2, 100);
  r.bytes('b', 'Downloading', 1, 100);
  r.bytes('a', 'Downloading', 100, 100);
  r.update('a', 'Download complete');
  r.bytes('a', 'Extracting', 5, 100);
  assert.deepEqual(seen.map((e) => (e.type === 'progress' ? `${e.id}:${e.action}:${e.current ?? ''}` : '')), [
    'a:Downloading:1', 'b:Downloading:1', 'a:Downloading:100', 'a:Download complete:', 'a:Extracting:5',
  ]);
});
