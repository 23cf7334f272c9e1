// Random --format values through docker's formats: every one either renders or fails with
// a StrataError (invalid-argument) — the template engine's own errors translated — never
// another exception, never a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { goStruct } from '@strata/go-template';
import { StrataError } from '../../../src/errdefs/index.ts';
import { renderInspect, renderList, columns } from '../../../src/cli/format/index.ts';

const pieces = [
  '{{', '}}', '{{-', '-}}', ' ', '.', '.A', '.B', '.C.D', '$', '$x', ':=', '=', '|', '(', ')', ',',
  'if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue', 'nil', 'true',
  '"s"', '`r`', "'c'", '1', '-2', '1.5', '0x1F', '1e3', 'printf', '"%d %s %v %5.2f %q %x %"', 'print', 'println',
  'len', 'index', 'slice', 'eq', 'ne', 'lt', 'and', 'or', 'not', 'json', 'split', 'join', 'upper', 'pad',
  'truncate', 'title', 'html', 'js', 'urlquery', 'call', '/*', '*/', '\n', 'text', '"T"', '\\', '"',
];

test('random --format values for a list render or fail with a StrataError', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pieces, 'table ', '\\t', 'json', '.ID', '.Size'), { maxLength: 20 }), (parts) => {
      const format = parts.join('');
      try {
        renderList([{ ID: 'abc', Size: '1MB', Repository: 'r', Tag: 't', CreatedSince: 'now' }], { ...columns.images, format });
      } catch (err) {
        assert.ok(err instanceof StrataError, `${JSON.stringify(format)} threw ${String(err)}`);
        assert.equal(err.code, 'invalid-argument', `${JSON.stringify(format)}: ${err.message}`);
      }
    }),
    { numRuns: 1000 },
  );
});

test('random --format values for inspect render or fail with a StrataError', () => {
  const value = goStruct({ A: 'a<b>', B: [1, 'two', null, 3.5], C: { D: 'd', E: [] } }, 'types.ImageInspect');
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), (parts) => {
      const format = parts.join('');
      try {
        const { errors } = renderInspect([value, { A: 1 }], format);
        for (const err of errors) assert.equal(err.code, 'invalid-argument', `${JSON.stringify(format)}: ${err.message}`);
      } catch (err) {
        assert.ok(err instanceof StrataError, `${JSON.stringify(format)} threw ${String(err)}`);
        assert.equal(err.code, 'invalid-argument', `${JSON.stringify(format)}: ${err.message}`);
      }
    }),
    { numRuns: 1000 },
  );
});
