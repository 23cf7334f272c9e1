// Go's standard library as the engine emulates it, outside templates: time.Time's text forms,
// strconv.FormatFloat and Quote, fmt.Sprintf, and json.Indent. Expected texts are what Go 1.24
// prints for the same values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatFloat,
  formatRFC3339,
  formatRFC3339Nano,
  goTimeString,
  indentJson,
  parseRFC3339,
  quoteString,
  sprintf,
  toGoTime,
} from '../src/index.ts';

test('Go time forms: String(), RFC3339, RFC3339Nano', () => {
  const t = parseRFC3339('2024-01-02T03:04:05.123456789Z');
  assert.equal(goTimeString(t), '2024-01-02 03:04:05.123456789 +0000 UTC');
  assert.equal(formatRFC3339Nano(t), '2024-01-02T03:04:05.123456789Z');
  assert.equal(formatRFC3339(t), '2024-01-02T03:04:05Z');
  assert.equal(formatRFC3339Nano('2024-01-02T03:04:05.120000000Z'), '2024-01-02T03:04:05.12Z');
  assert.equal(formatRFC3339Nano('2024-01-02T03:04:05.000Z'), '2024-01-02T03:04:05Z');
  assert.equal(formatRFC3339Nano('2024-01-02T05:04:05.5+02:00'), '2024-01-02T05:04:05.5+02:00');
  assert.equal(goTimeString('2024-01-02T05:04:05+02:00'), '2024-01-02 05:04:05 +0200 +02');
  assert.equal(goTimeString(toGoTime(Date.UTC(2024, 0, 2, 3, 4, 5), { utc: true })), '2024-01-02 03:04:05 +0000 UTC');
  assert.throws(() => parseRFC3339('yesterday'), { name: 'SyntaxError', message: 'parsing time "yesterday": not an RFC 3339 timestamp' });
  assert.throws(() => toGoTime(new Date(Number.NaN)), { message: 'invalid time value' });
});

const otherZone = process.env['TZ'] !== undefined && process.env['TZ'] !== 'UTC' && process.env['TZ'] !== '';
test('time.Time.String in the local zone (what fmt prints for a Date)', { skip: otherZone ? 'TZ names a zone other than UTC' : false }, () => {
  const saved = process.env['TZ'];
  process.env['TZ'] = 'UTC';
  try {
    assert.equal(goTimeString(new Date(Date.UTC(2024, 0, 2, 3, 4, 5))), '2024-01-02 03:04:05 +0000 UTC');
  } finally {
    if (saved === undefined) delete process.env['TZ'];
    else process.env['TZ'] = saved;
  }
});

test('Go float formatting: shortest %v, exact rounding half to even', () => {
  assert.equal(formatFloat(1234567, 'g', -1), '1.234567e+06');
  assert.equal(formatFloat(123456, 'g', -1), '123456');
  assert.equal(formatFloat(2.5, 'f', 0), '2');
  assert.equal(formatFloat(3.5, 'f', 0), '4');
  assert.equal(formatFloat(0.125, 'f', 2), '0.12');
  assert.equal(formatFloat(1.005, 'f', 2), '1.00');
  assert.equal(formatFloat(5e-324, 'e', -1), '5e-324');
  assert.equal(sprintf('%6.2f|%-6d|%x|%q', [3.14159, 42, 'hi', 'a"b']), '  3.14|42    |6869|"a\\"b"');
});

test('strconv.Quote and QuoteToASCII: Go escapes for what is not printable', () => {
  assert.equal(quoteString('plain'), '"plain"');
  assert.equal(quoteString('a"b\\c\n\t\u0007\u007f\b\f\v\r\u0000'), '"a\\"b\\\\c\\n\\t\\a\\x7f\\b\\f\\v\\r\\x00"');
  assert.equal(quoteString('日本 \u200b \u00a0 \u{1f600} \u{e0001}'), '"日本 \\u200b \\u00a0 😀 \\U000e0001"');
  // Node writes a lone surrogate as U+FFFD, which is printable: Go leaves it as it is.
  assert.equal(quoteString('a\ud800b\ufffd'), '"a\ufffdb\ufffd"');
  assert.equal(quoteString('é\ufffd', true), '"\\u00e9\\ufffd"');
});

test('indentJson re-indents like Go\'s json.Indent: strings untouched, empty containers kept short', () => {
  const raw = '{ "a":[1, 2,{"b" :"x, y: {z}"}],"e":{ },"f":[ ], "s":"q\\"uote" }';
  assert.equal(indentJson(raw, '\t'), '{\n\t"a": [\n\t\t1,\n\t\t2,\n\t\t{\n\t\t\t"b": "x, y: {z}"\n\t\t}\n\t],\n\t"e": {},\n\t"f": [],\n\t"s": "q\\"uote"\n}');
  assert.deepEqual(JSON.parse(indentJson(raw, '   ')), JSON.parse(raw));
});
