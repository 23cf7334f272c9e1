// Go's encoding/json writes a map's keys in byte order: the map-typed fields of strata's API
// objects are re-keyed that way where they are made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goMap, withGoMaps } from '../../../src/oci/index.ts';

test('goMap orders keys by their UTF-8 bytes, as Go sorts map keys', () => {
  const sorted = goMap({ z: 1, a: 2, B: 3, 'a.b': 4, é: 5, '😀': 6, 'ｚ': 7 });
  assert.deepEqual(Object.keys(sorted), ['B', 'a', 'a.b', 'z', 'é', 'ｚ', '😀']);
  assert.equal(JSON.stringify(goMap({ k: 'v', b: '2' })), '{"b":"2","k":"v"}');
  assert.equal(goMap(null), null);
  assert.equal(goMap(undefined), undefined);
});

test('withGoMaps sorts only the named map fields and keeps the struct\'s own field order', () => {
  const config = { Hostname: 'h', Labels: { z: '1', a: '2' }, Env: ['B=1', 'A=2'], Volumes: null };
  const out = withGoMaps(config, ['Labels', 'Volumes', 'ExposedPorts']);
  assert.equal(JSON.stringify(out), '{"Hostname":"h","Labels":{"a":"2","z":"1"},"Env":["B=1","A=2"],"Volumes":null}');
  assert.equal(JSON.stringify(config.Labels), '{"z":"1","a":"2"}', 'the input is not changed');
});
