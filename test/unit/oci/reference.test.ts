import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familiarString, formatReference, parseReference, withDefaultTag } from '../../../src/oci/index.ts';

test('normalises references as docker does', () => {
  const cases: [string, string, string][] = [
    ['nginx', 'docker.io/library/nginx:latest', 'nginx:latest'],
    ['user/app', 'docker.io/user/app:latest', 'user/app:latest'],
    ['localhost:5000/a/b:tag', 'localhost:5000/a/b:tag', 'localhost:5000/a/b:tag'],
    ['localhost/x', 'localhost/x:latest', 'localhost/x:latest'],
    ['index.docker.io/library/busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['ghcr.io/o/r@sha256:' + 'a'.repeat(64), 'ghcr.io/o/r@sha256:' + 'a'.repeat(64), 'ghcr.io/o/r@sha256:' + 'a'.repeat(64)],
    ['docker.io/library/nginx:1.25@sha256:' + 'b'.repeat(64), 'docker.io/library/nginx:1.25@sha256:' + 'b'.repeat(64), 'nginx:1.25@sha256:' + 'b'.repeat(64)],
    ['[::1]:5000/x:1', '[::1]:5000/x:1', '[::1]:5000/x:1'],
  ];
  for (const [input, full, familiar] of cases) {
    const ref = withDefaultTag(parseReference(input));
    assert.equal(formatReference(ref), full, input);
    assert.equal(familiarString(ref), familiar, input);
  }
});

test('rejects invalid references with docker-like messages', () => {
  assert.throws(() => parseReference('Nginx'), /repository name \(library\/Nginx\) must be lowercase/);
  assert.throws(() => parseReference('127.0.0.1:5000/UPPER/case:tag'), /repository name \(UPPER\/case\) must be lowercase/);
  assert.throws(() => parseReference('a'.repeat(64).replace(/a/g, 'f')), /cannot specify 64-byte hexadecimal strings/);
  assert.throws(() => parseReference('nginx:'), /invalid reference format/);
  assert.throws(() => parseReference('-bad'), /invalid reference format/);
  assert.throws(() => parseReference(''), /invalid reference format/);
  assert.throws(() => parseReference('x@sha256:abc'), /invalid reference format/);
  assert.throws(() => parseReference('x:' + 't'.repeat(129)), /invalid reference format/);
});
