// The router's contract, which route files rely on: `{name}` and `{name*}` path parameters,
// versioned and unversioned paths, query helpers, JSON bodies, JSON streams (lazy status
// line: an error before the first message is still an HTTP error), a hijacked connection,
// and errors mapped to dockerd's statuses. Served by the real HTTP server on a unix socket.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Engine } from '../../../src/engine/index.ts';
import { alreadyExists, invalidArgument } from '../../../src/errdefs/index.ts';
import { EventLog } from '../../../src/api/events.ts';
import { apiServer } from '../../../src/api/http-server.ts';
import { Router, type Route } from '../../../src/api/router.ts';
import { apiRequest } from '../../helpers/api-service.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const ROUTES: Route[] = [
  { method: 'GET', path: '/things/{name*}/json', handler: async (req, res) => res.json(200, { name: req.param('name'), version: req.version, all: req.queryBool('all'), filters: req.queryJson('filters') ?? null }) },
  { method: 'GET', path: '/values/{x}', handler: async (req, res) => res.json(200, { x: req.param('x'), version: req.version }) },
  { method: 'GET', path: '/pairs/{a}/{b}', handler: async (req, res) => res.json(200, req.params) },
  { method: 'POST', path: '/echo', handler: async (req, res) => res.json(201, { got: (await req.json()) ?? null }) },
  { method: 'POST', path: '/conflict', handler: async () => { throw alreadyExists('it is there already'); } },
  {
    method: 'POST',
    path: '/progress',
    handler: async (req, res) => {
      if (req.queryBool('failFirst')) throw invalidArgument('refused before any progress');
      const stream = res.jsonStream();
      stream.write({ status: 'one' });
      if (req.queryBool('failLater')) throw invalidArgument('failed midway');
      stream.write({ status: 'two' });
      stream.end();
    },
  },
  {
    method: 'POST',
    path: '/attach',
    handler: async (_req, res) => {
      const socket = res.hijack('application/vnd.docker.raw-stream');
      socket.on('data', (chunk: Buffer) => socket.write(chunk.toString().toUpperCase()));
    },
  },
];

const dir = tempDir();
const engine = Engine.open({ root: join(dir, 'store') });
after(() => engine.close());
const server = apiServer(new Router(ROUTES, { engine, events: new EventLog(engine.events) }));
const sock = join(dir, 'api.sock');
await new Promise<void>((resolve) => server.listen(sock, resolve));
after(() => {
  server.closeAllConnections();
  server.close();
});

test('path parameters: {name*} takes slashes, {a} one segment; with and without a version prefix', async () => {
  const r = await apiRequest(sock, 'GET', '/v1.41/things/localhost:5000/a/b:1/json?all=1&filters=%7B%22x%22%3A%5B%22y%22%5D%7D');
  assert.deepEqual(JSON.parse(r.body), { name: 'localhost:5000/a/b:1', version: '1.41', all: true, filters: { x: ['y'] } });
  assert.deepEqual(JSON.parse((await apiRequest(sock, 'GET', '/things/x/json')).body), { name: 'x', version: '1.50', all: false, filters: null });
  assert.deepEqual(JSON.parse((await apiRequest(sock, 'GET', '/pairs/one/two%2Fthree')).body), { a: 'one', b: 'two/three' });
  assert.equal((await apiRequest(sock, 'GET', '/pairs/one/two/three')).status, 404);
  // An unversioned path that starts with "v" is not a version prefix (/volumes/create).
  assert.deepEqual(JSON.parse((await apiRequest(sock, 'GET', '/values/a')).body), { x: 'a', version: '1.50' });
  assert.deepEqual(JSON.parse((await apiRequest(sock, 'GET', '/v1.30/values/a')).body), { x: 'a', version: '1.30' });
});

test('JSON bodies, and errors as {"message"} with dockerd\'s status for the error code', async () => {
  assert.deepEqual(await apiRequest(sock, 'POST', '/echo', '{"a":[1]}').then((r) => [r.status, JSON.parse(r.body)]), [201, { got: { a: [1] } }]);
  assert.deepEqual(await apiRequest(sock, 'POST', '/echo').then((r) => [r.status, JSON.parse(r.body)]), [201, { got: null }]);
  const bad = await apiRequest(sock, 'POST', '/echo', '{"a":');
  assert.equal(bad.status, 400);
  assert.match((JSON.parse(bad.body) as { message: string }).message, /^invalid JSON in request body/);
  assert.deepEqual(await apiRequest(sock, 'POST', '/conflict').then((r) => [r.status, JSON.parse(r.body)]), [409, { message: 'it is there already' }]);
  assert.deepEqual(await apiRequest(sock, 'GET', '/echo').then((r) => [r.status, JSON.parse(r.body)]), [404, { message: 'page not found' }]);
});

test('a JSON stream: one message a line; an error before the first message is an HTTP error, after it a message', async () => {
  const ok = await apiRequest(sock, 'POST', '/progress');
  assert.equal(ok.status, 200);
  assert.equal(ok.body, '{"status":"one"}\r\n{"status":"two"}\r\n');
  const early = await apiRequest(sock, 'POST', '/progress?failFirst=1');
  assert.deepEqual([early.status, JSON.parse(early.body)], [400, { message: 'refused before any progress' }]);
  const late = await apiRequest(sock, 'POST', '/progress?failLater=1');
  assert.equal(late.status, 200);
  assert.equal(late.body, '{"status":"one"}\r\n{"errorDetail":{"message":"failed midway"},"error":"failed midway"}\r\n');
});

test('hijack: 101 UPGRADED, then the route owns the raw connection; without an upgrade it is a 400', async () => {
  const socket = connect(sock);
  let received = '';
  socket.on('data', (c: Buffer) => {
    received += c.toString();
  });
  socket.write('POST /v1.50/attach HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhello');
  while (!received.includes('HELLO')) await new Promise((r) => setTimeout(r, 10));
  assert.match(received, /^HTTP\/1\.1 101 UPGRADED\r\nContent-Type: application\/vnd\.docker\.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nHELLO$/);
  socket.write('more');
  while (!received.endsWith('MORE')) await new Promise((r) => setTimeout(r, 10));
  socket.destroy();
  const plain = await apiRequest(sock, 'POST', '/attach');
  assert.equal(plain.status, 400);
});
