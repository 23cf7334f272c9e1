// Random templates built from the grammar's pieces: every one either renders or fails
// with a StrataError (invalid-argument) — never another exception, never a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StrataError } from '../../../src/errdefs/index.ts';
import { dockerFunctions, GoTemplate, goStruct, renderList, columns } from '../../../src/cli/format/index.ts';

const pieces = [
  '{{', '}}', '{{-', '-}}', ' ', '.', '.A', '.B', '.C.D', '$', '$x', ':=', '=', '|', '(', ')', ',',
  'if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue', 'nil', 'true',
  '"s"', '`r`', "'c'", '1', '-2', '1.5', '0x1F', '1e3', 'printf', '"%d %s %v %5.2f %q %x %"', 'print', 'println',
  'len', 'index', 'slice', 'eq', 'ne', 'lt', 'and', 'or', 'not', 'json', 'split', 'join', 'upper', 'pad',
  'truncate', 'title', 'html', 'js', 'urlquery', 'call', '/*', '*/', '\n', 'text', '"T"', '\\', '"',
];

const data = goStruct(
  { A: 'a<b>', B: [1, 'two', null, 3.5], C: { D: 'd', E: [] }, F: () => 'f', G: (x: unknown) => [x] },
  'main.Data',
);

test('random templates render or fail with a StrataError', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), fc.string({ maxLength: 8 }), (parts, noise) => {
      const src = parts.join('') + noise;
      try {
        const t = GoTemplate.parse(src, dockerFunctions);
        t.execute(data);
        t.execute({ A: 1 });
        t.execute(undefined);
      } catch (err) {
        assert.ok(err instanceof StrataError, `${JSON.stringify(src)} threw ${String(err)}`);
        assert.equal(err.code, 'invalid-argument', `${JSON.stringify(src)}: ${err.message}`);
      }
    }),
    { numRuns: 3000 },
  );
});

test('random --format values for a list render or fail with a StrataError', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pieces, 'table ', '\\t', 'json', '.ID', '.Size'), { maxLength: 20 }), (parts) => {
      const format = parts.join('');
      try {
        renderList([{ ID: 'abc', Size: '1MB', Repository: 'r', Tag: 't', CreatedSince: 'now' }], { ...columns.images, format });
      } catch (err) {
        assert.ok(err instanceof StrataError, `${JSON.stringify(format)} threw ${String(err)}`);
      }
    }),
    { numRuns: 1000 },
  );
});

test('deep nesting fails cleanly', () => {
  const deep = '{{' + '('.repeat(5000) + '1' + ')'.repeat(5000) + '}}';
  try {
    assert.equal(GoTemplate.parse(deep, dockerFunctions).execute(null), '1');
  } catch (err) {
    assert.ok(err instanceof StrataError);
  }
});
