// docker's output formats: tables (header context, tabwriter alignment), json, quiet,
// inspect. Expected texts are what docker 28 prints for the same data (checked side by
// side with the docker CLI on this machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goStruct } from '@strata/go-template';
import { isStrataError } from '../../../src/errdefs/index.ts';
import { alignTable, columns, renderInspect, renderList, rowJSON, TabWriter } from '../../../src/cli/format/index.ts';

const images = [
  { Repository: 'demo/busybox', Tag: '1', ID: 'f46f98545c48', CreatedSince: '26 seconds ago', CreatedAt: '2026-11-24 03:29:06 +0000 UTC', Size: '1.99MB', Digest: '<none>', Containers: 'N/A', SharedSize: 'N/A', UniqueSize: 'N/A', VirtualSize: '1.985MB' },
  { Repository: 'strata-fixture/three', Tag: 'latest', ID: 'f7a8f48f1fee', CreatedSince: '2 minutes ago', CreatedAt: '2026-11-24 03:45:51 +0000 UTC', Size: '21MB', Digest: '<none>', Containers: 'N/A', SharedSize: 'N/A', UniqueSize: 'N/A', VirtualSize: '21.02MB' },
];

const list = (format?: string, quiet?: boolean): string => renderList(images, { ...columns.images, format, quiet });

test('docker images default table', () => {
  assert.equal(
    list(),
    'REPOSITORY             TAG       IMAGE ID       CREATED          SIZE\n' +
      'demo/busybox           1         f46f98545c48   26 seconds ago   1.99MB\n' +
      'strata-fixture/three   latest    f7a8f48f1fee   2 minutes ago    21MB\n',
  );
  assert.equal(list('table'), list());
});

test('an empty list still prints the header', () => {
  assert.equal(renderList([], { ...columns.containers }), 'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n');
});

test('quiet, custom templates, \\t escapes, json', () => {
  assert.equal(list('', true), 'f46f98545c48\nf7a8f48f1fee\n');
  assert.equal(list('{{.ID}}\\t{{.Size}}'), 'f46f98545c48\t1.99MB\nf7a8f48f1fee\t21MB\n');
  assert.equal(list('table {{.ID}}\\t{{.Tag}}'), 'IMAGE ID       TAG\nf46f98545c48   1\nf7a8f48f1fee   latest\n');
  assert.equal(list('table   {{.ID}}  '), 'IMAGE ID\nf46f98545c48\nf7a8f48f1fee\n');
  assert.equal(
    list('json').split('\n')[0],
    '{"Containers":"N/A","CreatedAt":"2026-11-24 03:29:06 +0000 UTC","CreatedSince":"26 seconds ago","Digest":"\\u003cnone\\u003e","ID":"f46f98545c48","Repository":"demo/busybox","SharedSize":"N/A","Size":"1.99MB","Tag":"1","UniqueSize":"N/A","VirtualSize":"1.985MB"}',
  );
  // {{json .Field}} does not escape HTML (docker's Encoder has SetEscapeHTML(false)).
  assert.equal(list('{{json .Digest}}'), '"<none>"\n"<none>"\n');
});

test('headers: literal text stays, functions leave titles alone, Label shows the key, no title gives <no value>', () => {
  assert.equal(list('table ID: {{.ID}}\\t{{upper .Repository}}').split('\n')[0], 'ID: IMAGE ID       REPOSITORY');
  assert.equal(list('table {{.Repository | printf "%s!"}}\\t{{.Size}}').split('\n')[0], 'REPOSITORY!             SIZE');
  const rows = [{ ID: 'abc', Label: (k: string) => `v-${k}` }];
  assert.equal(
    renderList(rows, { ...columns.containers, format: 'table {{.ID}}\t{{.Label "com.example.my-key_x"}}' }),
    'CONTAINER ID   my key x\nabc            v-com.example.my-key_x\n',
  );
  const withExtra = [{ ID: 'abc', Extra: 'e' }];
  assert.equal(renderList(withExtra, { ...columns.images, format: 'table {{.Extra}}\t{{.ID}}' }), '<no value>   IMAGE ID\ne            abc\n');
  // A header that fails (json of the header map) keeps what was written before it.
  assert.equal(list('table {{.Repository}}\\t{{.Size}} {{json .}}').split('\n')[0], 'REPOSITORY             SIZE ');
});

test('errors read like docker\'s and are invalid-argument', () => {
  assert.throws(() => list('{{.ID'), (err: unknown) => {
    assert.ok(isStrataError(err, 'invalid-argument'));
    assert.equal((err as Error).message, 'template parsing error: template: :1: unclosed action');
    return true;
  });
  assert.throws(() => list('table {{.Repository}}\t{{.Nope}}'), (err: unknown) => {
    assert.ok(isStrataError(err, 'invalid-argument'));
    assert.equal((err as Error).message, 'template parsing error: template: :1:18: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.imageContext');
    return true;
  });
});

test('rowJSON: sorted keys, niladic methods called, methods with arguments and lower-case names left out', () => {
  assert.equal(rowJSON({ b: 1, Z: () => 'z', A: '<&>', Label: (k: string) => k }), '{"A":"\\u003c\\u0026\\u003e","Z":"z"}');
});

test('tabwriter: minimum width 10, padding 3, wide characters, trailing cells unpadded, one-cell lines break columns', () => {
  assert.equal(alignTable('a\tb\tc\nlonger-than-ten\tx\ty\n'), 'a                 b         c\nlonger-than-ten   x         y\n');
  assert.equal(alignTable('日本\tx\nab\ty\n'), '日本      x\nab        y\n');
  assert.equal(alignTable('aaaaaaaaaaaaaaa\tb\nsingle\nc\td\n'), 'aaaaaaaaaaaaaaa   b\nsingle\nc         d\n');
  assert.equal(alignTable('a\t\tc\n'), 'a                   c\n');
  const w = new TabWriter({ minWidth: 0, padding: 1, alignRight: true });
  w.write('1\t22\t\n333\t4\t\n');
  assert.equal(w.flush(), '   1 22\n 333  4\n');
});

test('inspect: indented JSON array, json, template per value, raw fallback with missingkey=error', () => {
  const v = { Id: 'sha256:abc', Config: { Labels: { a: '<b>' }, Env: ['A=1'] }, Empty: {}, List: [] as string[] };
  assert.equal(
    renderInspect([v]).output,
    '[\n    {\n        "Id": "sha256:abc",\n        "Config": {\n            "Labels": {\n                "a": "<b>"\n            },\n            "Env": [\n                "A=1"\n            ]\n        },\n        "Empty": {},\n        "List": []\n    }\n]\n',
  );
  assert.equal(renderInspect([]).output, '[]\n');
  assert.equal(renderInspect([v], '', { escapeHTML: true }).output.includes('"\\u003cb\\u003e"'), true);
  assert.equal(renderInspect([v, v], 'json').output, JSON.stringify([v, v]) + '\n');
  assert.equal(renderInspect([v, v], '{{.Id}} {{index .Config.Labels "a"}}').output, 'sha256:abc <b>\nsha256:abc <b>\n');
  const typed = goStruct({ Id: 'x' }, 'types.ImageInspect');
  const r = renderInspect([typed], '{{.Nope}}');
  assert.equal(r.output, '\n');
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]?.message, 'template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"');
  assert.ok(isStrataError(r.errors[0], 'invalid-argument'));
  assert.throws(() => renderInspect([v], '{{.Id'), { message: 'template parsing error: template: :1: unclosed action' });
});

test('10,000 image rows render as 10,000 aligned lines (its speed is measured in bench/, never asserted)', () => {
  const rows = Array.from({ length: 10_000 }, (_, i) => ({ ...images[0], ID: i.toString(16).padStart(12, '0') }));
  const lines = renderList(rows, columns.images).split('\n');
  assert.equal(lines.length, 10_002, 'a header, 10,000 rows and the final newline');
  const idColumn = lines[0]?.indexOf('IMAGE ID');
  assert.ok(idColumn !== undefined && idColumn > 0);
  for (const [i, line] of lines.slice(1, -1).entries()) assert.equal(line.slice(idColumn, idColumn + 12), i.toString(16).padStart(12, '0'));
});
