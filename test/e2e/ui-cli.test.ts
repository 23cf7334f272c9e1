// `strata ui` as a command: bad flags named with docker's wording, a taken port refused as
// Go's net package words it, and Ctrl-C stopping the server cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { STRATA_BIN, strata } from '../helpers/strata-cli.ts';

test('a bad --address or --port is refused naming the flag, before the store is opened', () => {
  const root = join(tempDir(), 'never-made');
  const address = strata(root, ['ui', '--address', 'example.com']);
  assert.equal(address.status, 1);
  assert.match(address.stderr, /invalid argument "example\.com" for "--address" flag: not an IP address/);
  const port = strata(root, ['ui', '--port', '70000']);
  assert.equal(port.status, 1);
  assert.match(port.stderr, /invalid argument "70000" for "--port" flag/);
  const notNumber = strata(root, ['ui', '--port', 'x']);
  assert.equal(notNumber.status, 125);
  assert.match(notNumber.stderr, /invalid argument "x" for "--port" flag/);
  assert.equal(existsSync(root), false, 'no store was made');
});

test('a port already taken is refused with Go\'s words', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as AddressInfo;
  try {
    const r = strata(tempDir(), ['ui', '--port', String(port)]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `Error: listen tcp 127.0.0.1:${port}: bind: address already in use\n`);
  } finally {
    taken.close();
  }
});

test('Ctrl-C stops the server: exit 0, the port is free again', async () => {
  const ui = spawn(STRATA_BIN, ['ui'], { env: { ...process.env, STRATA_ROOT: tempDir() }, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<URL>((resolve, reject) => {
    let out = '';
    ui.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /http:\/\/\S+\?token=[0-9a-f]{48}/.exec(out);
      if (m) resolve(new URL(m[0]));
    });
    ui.on('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  assert.equal(url.hostname, '127.0.0.1');
  const exited = new Promise<number | null>((resolve) => ui.on('exit', resolve));
  ui.kill('SIGINT');
  assert.equal(await exited, 0);
  const again = createServer();
  await new Promise<void>((resolve, reject) => {
    again.once('error', reject);
    again.listen(Number(url.port), '127.0.0.1', resolve);
  });
  again.close();
});
