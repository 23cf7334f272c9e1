// Pull and push progress as dockerd sends it: the bar and sizes of jsonmessage.JSONProgress,
// with go-units' HumanSize (4 significant digits), the one the CLI's columns use too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressMessage } from '../../../src/api/progress.ts';
import { humanSize4 } from '../../../src/cli/format/size.ts';

test('a download in progress: dockerd\'s bar, current/total in decimal units with 4 digits', () => {
  const m = progressMessage({ type: 'progress', action: 'Downloading', id: 'abc', current: 1_234_567, total: 9_876_543 });
  assert.deepEqual(m, {
    status: 'Downloading',
    progressDetail: { current: 1_234_567, total: 9_876_543 },
    progress: `[${'='.repeat(6)}>${' '.repeat(44)}]  1.235MB/9.877MB`,
    id: 'abc',
  });
});

test('the API\'s sizes are the CLI\'s, edge cases included', () => {
  for (const bytes of [0, 999, 1000, 999_949, 999_999, 1_985_400, 5e12]) {
    const m = progressMessage({ type: 'progress', action: 'Pushing', id: 'x', current: bytes });
    assert.equal((m['progress'] as string).trim(), bytes === 0 ? '' : humanSize4(bytes), String(bytes));
  }
});
