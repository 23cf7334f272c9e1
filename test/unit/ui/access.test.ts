// Who may talk to `strata ui`: the Host rule against DNS rebinding, and the token's sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { cookieName, headerToken, hostAllowed, newToken, tokenMatches } from '../../../src/ui/access.ts';

test('only IP literals and localhost on the server\'s own port are allowed as Host', () => {
  for (const host of ['127.0.0.1:8080', 'localhost:8080', 'LOCALHOST:8080', '[::1]:8080', '192.168.1.4:8080']) assert.equal(hostAllowed(host, 8080), true, host);
  for (const host of [undefined, '', 'evil.example:8080', 'evil.example', '127.0.0.1.nip.io:8080', '127.0.0.1:8081', '127.0.0.1', 'localhost.evil:8080', '[::1]:80', 'a:b:c']) {
    assert.equal(hostAllowed(host, 8080), false, String(host));
  }
  assert.equal(hostAllowed('127.0.0.1', 80), true, 'no port means 80');
});

test('a token is random and compared whole', () => {
  const token = newToken();
  assert.match(token, /^[0-9a-f]{48}$/);
  assert.notEqual(newToken(), token);
  assert.equal(tokenMatches(token, token), true);
  assert.equal(tokenMatches(token.slice(0, -1), token), false);
  assert.equal(tokenMatches(`${token}0`, token), false);
  assert.equal(tokenMatches(undefined, token), false);
  assert.equal(tokenMatches('', token), false);
});

test('the token comes from the Authorization or X-Strata-Token header, or this port\'s cookie', () => {
  const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;
  assert.equal(headerToken(req({ authorization: 'token abc' }), 1), 'abc');
  assert.equal(headerToken(req({ 'x-strata-token': 'def' }), 1), 'def');
  assert.equal(headerToken(req({ cookie: `a=b; ${cookieName(1)}=ghi; c=d` }), 1), 'ghi');
  assert.equal(headerToken(req({ cookie: `${cookieName(2)}=ghi` }), 1), undefined, 'another port\'s cookie');
  assert.equal(headerToken(req({ authorization: 'Basic abc' }), 1), undefined);
});
