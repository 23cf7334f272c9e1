// The template engine against outputs recorded from Go itself (go-oracle-cases.ts), plus
// hand-written cases for what the recording's data can't show: printing of every value kind,
// the missingkey option, methods, structs, maps and error classes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoTemplate, goFloat, goStruct, marshalJSON, TemplateError } from '../src/index.ts';
import { goOracleCases, inspectLikeDocker } from './go-oracle-cases.ts';

test('matches Go 1.24 text/template on every recorded case', () => {
  const failures: string[] = [];
  for (const [template, expected] of goOracleCases) {
    const got = inspectLikeDocker(template);
    if (got !== expected) failures.push(`${JSON.stringify(template)}\n  want ${JSON.stringify(expected)}\n  got  ${JSON.stringify(got)}`);
  }
  assert.equal(failures.length, 0, failures.join('\n'));
  assert.ok(goOracleCases.length > 200);
});

function run(template: string, data: unknown, options?: Parameters<GoTemplate['execute']>[1]): string {
  return GoTemplate.parse(template).execute(data, options);
}

function execError(template: string, data: unknown): string {
  try {
    run(template, data);
  } catch (err) {
    assert.ok(err instanceof TemplateError, `not a TemplateError: ${String(err)}`);
    return err.message;
  }
  assert.fail(`no error for ${template}`);
}

test('prints every value kind as Go does', () => {
  const data = {
    s: 'str',
    i: 42,
    neg: -7,
    f: 1.5,
    whole: goFloat(3),
    big: goFloat(1e21),
    tiny: 1e-7,
    t: true,
    n: null,
    arr: ['a', 1, null, true],
    nested: [[1, 2], { k: 'v' }],
    m: { b: 2, a: 1, c: 'x' },
    map: new Map<string, unknown>([['z', 1], ['y', [1]]]),
    st: goStruct({ A: 1, B: 'two', C: [3] }, 'main.T'),
    big64: 9007199254740993n,
  };
  const cases: Array<[string, string]> = [
    ['{{.s}}', 'str'],
    ['{{.i}}|{{.neg}}', '42|-7'],
    ['{{.f}}|{{.whole}}|{{.big}}|{{.tiny}}', '1.5|3|1e+21|1e-07'],
    ['{{.t}}', 'true'],
    ['{{.n}}', '<no value>'], // a nil interface{} in a map digs down to the invalid value
    ['{{print .n}}', '<nil>'],
    ['{{.missing}}', '<no value>'],
    ['{{.arr}}', '[a 1 <nil> true]'],
    ['{{.nested}}', '[[1 2] map[k:v]]'],
    ['{{.m}}', 'map[a:1 b:2 c:x]'],
    ['{{.map}}', 'map[y:[1] z:1]'],
    ['{{.st}}', '{1 two [3]}'],
    ['{{printf "%+v" .st}}', '{A:1 B:two C:[3]}'],
    ['{{printf "%v" .}}', 'map[arr:[a 1 <nil> true] big:1e+21 big64:9007199254740993 f:1.5 i:42 m:map[a:1 b:2 c:x] map:map[y:[1] z:1] n:<nil> neg:-7 nested:[[1 2] map[k:v]] s:str st:{1 two [3]} t:true tiny:1e-07 whole:3]'],
    ['{{.big64}}', '9007199254740993'],
    ['{{printf "%T %T %T %T %T" .i .f .m .st .arr}}', 'int float64 map[string]interface {} main.T []interface {}'],
    ['{{len .m}} {{len .arr}} {{len .map}}', '3 4 2'],
    ['{{index .m "a"}} {{index .map "z"}} {{index .arr 1}} {{index .nested 1 "k"}}', '1 1 1 v'],
    ['{{range $k, $v := .m}}{{$k}}={{$v}},{{end}}', 'a=1,b=2,c=x,'],
  ];
  for (const [template, want] of cases) assert.equal(run(template, data), want, template);
  const json = (v: unknown): string => marshalJSON(v, { escapeHTML: false });
  assert.equal(`${json(data.st)} ${json(data.m)} ${json(data.map)}`, '{"A":1,"B":"two","C":[3]} {"b":2,"a":1,"c":"x"} {"y":[1],"z":1}');
});

test('structs: a missing field is an error naming the type, maps give <no value>', () => {
  const st = goStruct({ Name: 'x', inner: 1 }, 'types.ImageInspect');
  assert.equal(execError('{{.Nope}}', st), 'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type types.ImageInspect');
  assert.equal(execError('{{.inner}}', st), 'template: :1:2: executing "" at <.inner>: inner is an unexported field of struct type types.ImageInspect');
  assert.equal(execError('{{.Name 1}}', st), 'template: :1:2: executing "" at <.Name>: Name has arguments but cannot be invoked as function');
  assert.equal(run('{{.Nope}}', { Name: 'x' }), '<no value>');
  assert.equal(execError('{{.Nope}}', 'str'), 'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type string');
  assert.equal(execError('{{.a.b}}', { a: null }), 'template: :1:4: executing "" at <.a.b>: nil pointer evaluating interface {}.b');
});

test('function properties are methods: called with the arguments given', () => {
  const row = goStruct({ ID: () => 'abc', Label: (k: string) => `label:${k}`, Fail: () => { throw new Error('boom'); } }, '*formatter.ContainerContext');
  assert.equal(run('{{.ID}} {{.Label "com.x"}} {{.ID | len}}', row), 'abc label:com.x 3');
  assert.equal(execError('{{.Fail}}', row), 'template: :1:2: executing "" at <.Fail>: error calling Fail: boom');
  assert.equal(execError('{{.Label "a" | .Nope}}', row), 'template: :1:15: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext');
});

test('missingkey option: default, zero and error', () => {
  assert.equal(run('{{.a}}', {}, { missingKey: 'default' }), '<no value>');
  assert.equal(run('[{{.a}}]', { b: 'x' }, { missingKey: 'zero' }), '[]');
  assert.throws(() => run('{{.a}}', { b: 1 }, { missingKey: 'error' }), {
    message: 'template: :1:2: executing "" at <.a>: map has no entry for key "a"',
  });
  assert.throws(() => run('{{.a.b}}', {}, { missingKey: 'error' }), /map has no entry for key "a"/);
});

test('index of a missing key: "" for a map of strings, <no value> otherwise', () => {
  assert.equal(run('[{{index .Labels "nope"}}]', { Labels: { a: 'b' } }), '[]');
  assert.equal(run('[{{index .Labels "nope"}}]', { Labels: { a: 1 } }), '[<no value>]');
});

test('errors are TemplateErrors with Go\'s wording and positions on any line', () => {
  for (const [template, message] of [
    ['{{.ID', 'template: :1: unclosed action'],
    ['{{.ID}', "template: :1: bad character U+007D '}'"],
    ['{{.ID}}}', undefined],
    ['a\nb\n{{if 1}}', 'template: :3: unexpected EOF'],
    ['{{nope}}', 'template: :1: function "nope" not defined'],
    ['x\n {{end}}', 'template: :2: unexpected {{end}}'],
  ] as const) {
    if (message === undefined) {
      assert.doesNotThrow(() => GoTemplate.parse(template));
      continue;
    }
    assert.throws(() => GoTemplate.parse(template), (err: unknown) => {
      assert.ok(err instanceof TemplateError);
      assert.equal(err.partial, '');
      assert.equal(err.message, message);
      return true;
    });
  }
  assert.equal(execError('x\n  é{{.Nope}}', goStruct({}, 'T')), 'template: :2:6: executing "" at <.Nope>: can\'t evaluate field Nope in type T');
});

test('execution errors keep the output written before them', () => {
  try {
    run('abc{{.Nope}}def', goStruct({}, 'T'));
    assert.fail('no error');
  } catch (err) {
    assert.ok(err instanceof TemplateError);
    assert.equal(err.partial, 'abc');
  }
});

test('template recursion stops with an error, not a stack overflow', () => {
  assert.throws(() => run('{{define "T"}}{{template "T" .}}{{end}}{{template "T" 1}}', null), /exceeded maximum template depth/);
});

test('a template is parsed once and executed many times with different data', () => {
  const t = GoTemplate.parse('{{.A}}-{{len .B}}');
  assert.equal(t.execute({ A: 1, B: [1, 2] }), '1-2');
  assert.equal(t.execute({ A: 'x', B: 'abc' }), 'x-3');
});

test('anything else thrown while executing becomes a TemplateError that keeps its cause', () => {
  // A Date that is no time: printing it fails outside any function call.
  assert.throws(() => run('a{{.}}', new Date(Number.NaN)), (err: unknown) => {
    assert.ok(err instanceof TemplateError);
    assert.equal(err.message, 'template: executing: invalid time value');
    assert.ok(err.cause instanceof Error);
    assert.equal(err.cause.message, 'invalid time value');
    return true;
  });
});
