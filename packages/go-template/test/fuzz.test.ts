// Random templates built from the grammar's pieces: every one either renders or fails
// with a TemplateError — never another exception, never a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defineFunc, GoTemplate, goStruct, markStringSlice, marshalJSON, TemplateError } from '../src/index.ts';
import type { FuncMap } from '../src/index.ts';

/** Host functions with each parameter type the engine checks: string, int, []string, interface{}. */
const funcs: FuncMap = {
  json: defineFunc(['any'], (v: unknown) => marshalJSON(v, { escapeHTML: false })),
  split: defineFunc(['string', 'string'], (s: string, sep: string) => markStringSlice(s.split(sep))),
  join: defineFunc(['strings', 'string'], (elems: string[] | null, sep: string) => (elems ?? []).join(sep)),
  upper: defineFunc(['string'], (s: string) => s.toUpperCase()),
  pad: defineFunc(['string', 'int', 'int'], (s: string, a: number, b: number) => ' '.repeat(a) + s + ' '.repeat(b)),
  truncate: defineFunc(['string', 'int'], (s: string, n: number) => s.slice(0, n)),
};

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

test('random templates render or fail with a TemplateError', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), fc.string({ maxLength: 8 }), (parts, noise) => {
      const src = parts.join('') + noise;
      try {
        const t = GoTemplate.parse(src, funcs);
        t.execute(data);
        t.execute({ A: 1 });
        t.execute(undefined);
      } catch (err) {
        assert.ok(err instanceof TemplateError, `${JSON.stringify(src)} threw ${String(err)}`);
      }
    }),
    { numRuns: 3000 },
  );
});

test('deep nesting fails cleanly', () => {
  const deep = '{{' + '('.repeat(5000) + '1' + ')'.repeat(5000) + '}}';
  try {
    assert.equal(GoTemplate.parse(deep, funcs).execute(null), '1');
  } catch (err) {
    assert.ok(err instanceof TemplateError);
  }
});
