import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenges } from '../../../src/registry/auth-challenge.ts';
import { describeErrorResponse, responseError, type ErrorResponse } from '../../../src/registry/registry-errors.ts';

test('WWW-Authenticate challenges: Docker Hub\'s Bearer, Basic, several in one header, escapes', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  assert.deepEqual(parseChallenges(['Basic realm=x, Bearer realm="y", error="insufficient_scope"', 'Negotiate']), [
    { scheme: 'basic', params: { realm: 'x' } },
    { scheme: 'bearer', params: { realm: 'y', error: 'insufficient_scope' } },
    { scheme: 'negotiate', params: {} },
  ]);
  assert.deepEqual(parseChallenges('Bearer realm="a \\"quoted\\" realm",Service=S'), [{ scheme: 'bearer', params: { realm: 'a "quoted" realm', service: 'S' } }]);
  assert.deepEqual(parseChallenges(undefined), []);
  assert.deepEqual(parseChallenges('realm="no scheme"'), []);
});

function response(status: number, body: string, headers: Record<string, string> = {}): ErrorResponse {
  return { status, statusText: '', headers, body: Buffer.from(body), method: 'GET', url: 'https://r.example/v2/a/b/manifests/c' };
}

test('registry error bodies read as docker prints them', () => {
  assert.equal(describeErrorResponse(response(404, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}')).text, 'manifest unknown: manifest unknown');
  assert.equal(describeErrorResponse(response(401, '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')).text, 'unauthorized: authentication required');
  assert.equal(describeErrorResponse(response(401, '')).text, 'unauthorized: authentication required');
  assert.equal(describeErrorResponse(response(401, '{"details":"incorrect username or password"}')).text, 'unauthorized: incorrect username or password');
  assert.equal(describeErrorResponse(response(404, '<html><body>nope</body></html>')).text,
    'error parsing HTTP 404 response body: invalid character \'<\' looking for beginning of value: "<html><body>nope</body></html>"');
  assert.equal(describeErrorResponse(response(503, '')).text, 'received unexpected HTTP status: 503 Service Unavailable');
  assert.equal(describeErrorResponse(response(502, '<html>bad gateway</html>')).text, 'received unexpected HTTP status: 502 Bad Gateway: "<html>bad gateway</html>"');
  assert.equal(describeErrorResponse(response(400, '{"errors":[]}')).text, 'received unexpected HTTP status: 400 Bad Request');
});

test('a Bearer challenge\'s OAuth error comes first, as docker reports it', () => {
  const denied = describeErrorResponse(response(401, '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', {
    'www-authenticate': 'Bearer realm="t",service="s",scope="repository:a/b:pull",error="insufficient_scope"',
  }));
  assert.equal(denied.text, 'denied: requested access to the resource is denied');
  assert.equal(denied.items[0]?.code, 'DENIED');
  assert.equal(describeErrorResponse(response(401, '', { 'www-authenticate': 'Bearer realm="t",error="invalid_token",error_description="token expired"' })).text, 'unauthorized: token expired');
});

test('429 names the rate-limit headers; errors carry codes and statuses to branch on', () => {
  const err = responseError(response(429, '{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}', {
    'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600', 'docker-ratelimit-source': '192.0.2.1',
  }));
  assert.equal(err.message, 'Get "https://r.example/v2/a/b/manifests/c": toomanyrequests: You have reached your pull rate limit. (ratelimit-limit: 100;w=21600, ratelimit-remaining: 0;w=21600, docker-ratelimit-source: 192.0.2.1)');
  assert.equal(err.code, 'unavailable');
  assert.ok(err.hint);
  assert.equal(responseError(response(404, '{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}')).code, 'not-found');
  assert.ok(responseError(response(404, '{"errors":[{"code":"NAME_UNKNOWN","message":"x"}]}')).has('NAME_UNKNOWN'));
  assert.equal(responseError(response(403, '{}'), 'push').message, 'push: received unexpected HTTP status: 403 Forbidden');
});
