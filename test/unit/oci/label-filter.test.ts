// docker's label filters (moby's MatchKVList and the prune commands' matchLabels), one rule
// for images, ps, volume ls and every prune.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesLabelFilters } from '../../../src/oci/index.ts';
import { parseFilters } from '../../../src/cli/filters.ts';

const match = (flags: string[], labels: Record<string, string> | null): boolean => matchesLabelFilters(parseFilters(flags), labels);

test('label=KEY wants the key, whatever its value; label=KEY=VALUE wants that value', () => {
  const labels = { team: 'a', empty: '', 'com.example.x': 'k=v' };
  assert.equal(match(['label=team'], labels), true);
  assert.equal(match(['label=team=a'], labels), true);
  assert.equal(match(['label=team=b'], labels), false);
  assert.equal(match(['label=empty'], labels), true);
  assert.equal(match(['label=empty='], labels), true, 'an empty value is a value');
  assert.equal(match(['label=team='], labels), false);
  assert.equal(match(['label=com.example.x=k=v'], labels), true, 'the value is everything after the first =');
  assert.equal(match(['label=missing'], labels), false);
});

test('every label filter must match', () => {
  assert.equal(match(['label=team=a', 'label=tier'], { team: 'a', tier: 'db' }), true);
  assert.equal(match(['label=team=a', 'label=tier'], { team: 'a' }), false);
});

test('no filter matches anything, labels or not; a filter matches nothing without labels', () => {
  assert.equal(match([], null), true);
  assert.equal(match([], { a: '1' }), true);
  assert.equal(match(['label=a'], null), false);
  assert.equal(match(['label=a'], {}), false);
});

test('label!= excludes what matches every label! filter together, as docker does', () => {
  const both = { team: 'a', tier: 'x' };
  const one = { team: 'a' };
  assert.equal(match(['label!=team=a'], both), false);
  assert.equal(match(['label!=team=a'], one), false);
  assert.equal(match(['label!=team=b'], one), true);
  assert.equal(match(['label!=team'], {}), true, 'an item without labels is kept');
  assert.equal(match(['label!=team'], null), true);
  // Two label! filters: only an item with both is excluded (moby: MatchKVList over all of them).
  assert.equal(match(['label!=team=a', 'label!=tier=x'], both), false);
  assert.equal(match(['label!=team=a', 'label!=tier=x'], one), true);
  // label and label! together.
  assert.equal(match(['label=team', 'label!=tier'], both), false);
  assert.equal(match(['label=team', 'label!=tier'], one), true);
});

test('a key is a label only when the labels have it: label=constructor is not every object\'s', () => {
  for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    assert.equal(match([`label=${key}`], { team: 'a' }), false, key);
    assert.equal(match([`label!=${key}`], { team: 'a' }), true, key);
  }
  assert.equal(match(['label=constructor'], JSON.parse('{"constructor":"x"}') as Record<string, string>), true);
});
