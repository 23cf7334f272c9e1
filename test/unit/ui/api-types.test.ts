// The server's JSON types (src/ui/api-types.ts) and the web app's copy
// (packages/ui-web/src/api-types.ts) must say the same thing: a drifted copy would type-check
// on both sides and break only in the browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

function contract(path: string): string {
  const text = readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
  const start = text.indexOf('// --- contract ---');
  assert.ok(start >= 0, `${path} has no "// --- contract ---" line`);
  return text.slice(start);
}

test('the web app reads the JSON types the server sends', () => {
  assert.equal(contract('packages/ui-web/src/api-types.ts'), contract('src/ui/api-types.ts'));
});
