// Fuzzing the validation of image manifests, indexes and configs (src/oci/): generated valid
// documents survive serialise → parse unchanged; documents mutated at the value level (fields
// dropped, retyped, added, nested) and at the byte level (bit flips, truncation, duplicated
// keys) are either read or refused with an invalid-argument StrataError naming the document,
// never another exception; and whatever is read serialises and reads again to the same value.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isStrataError } from '../../src/errdefs/index.ts';
import {
  MediaType, parseImageConfigBytes, parseManifestBytes, serializeImageConfig, serializeManifest,
} from '../../src/oci/index.ts';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from '../../src/oci/index.ts';
import { fuzzParams, fuzzTests } from '../helpers/fuzz.ts';

// ---- valid documents ----

const hex = (bytes: number): fc.Arbitrary<string> => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((a) => Buffer.from(a).toString('hex'));
const digest = fc.oneof({ weight: 4, arbitrary: hex(32).map((h) => `sha256:${h}` as const) }, { weight: 1, arbitrary: hex(64).map((h) => `sha512:${h}` as const) });
const text = fc.string({ maxLength: 12 });
const stringMap = fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), text, { maxKeys: 3, noNullPrototype: true });
const mediaType = fc.oneof(fc.constantFrom(...Object.values(MediaType)), text);
const platform = fc.record({
  architecture: fc.constantFrom('amd64', 'arm64', 'arm', '386', 's390x'),
  os: fc.constantFrom('linux', 'windows'),
  variant: fc.constantFrom('v6', 'v7', 'v8'),
  'os.version': text,
  'os.features': fc.array(text, { maxLength: 2 }),
  features: fc.array(text, { maxLength: 2 }),
}, { requiredKeys: ['architecture', 'os'], noNullPrototype: true });

const descriptor: fc.Arbitrary<Descriptor> = fc.record({
  mediaType,
  digest,
  size: fc.oneof(fc.nat(1 << 20), fc.constant(Number.MAX_SAFE_INTEGER)),
  urls: fc.array(text.map((t) => `https://example.com/${encodeURIComponent(t)}`), { maxLength: 2 }),
  annotations: stringMap,
  artifactType: text,
}, { requiredKeys: ['mediaType', 'digest', 'size'], noNullPrototype: true });

const manifest: fc.Arbitrary<ImageManifest> = fc.record({
  schemaVersion: fc.constant(2 as const),
  mediaType: fc.constantFrom(MediaType.ociManifest, MediaType.dockerManifest),
  config: descriptor,
  layers: fc.array(descriptor, { maxLength: 4 }),
  subject: descriptor,
  annotations: stringMap,
  artifactType: text,
}, { requiredKeys: ['schemaVersion', 'mediaType', 'config', 'layers'], noNullPrototype: true });

const index: fc.Arbitrary<ImageIndex> = fc.record({
  schemaVersion: fc.constant(2 as const),
  mediaType: fc.constantFrom(MediaType.ociIndex, MediaType.dockerManifestList),
  manifests: fc.array(fc.tuple(descriptor, platform).map(([d, p]) => ({ ...d, platform: p })), { maxLength: 4 }),
  subject: descriptor,
  annotations: stringMap,
}, { requiredKeys: ['schemaVersion', 'mediaType', 'manifests'], noNullPrototype: true });

const rfc3339 = fc.tuple(fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.constantFrom('', '.5', '.123456789', '.000001'), fc.constantFrom('Z', 'z', '+02:00', '-07:30'))
  .map(([ms, frac, zone]) => new Date(ms).toISOString().slice(0, 19) + frac + zone);
const stringSet = fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.constant({} as Record<string, never>), { maxKeys: 3, noNullPrototype: true });

const config: fc.Arbitrary<ImageConfig> = fc.tuple(
  fc.array(digest, { maxLength: 5 }),
  fc.record({
    created: rfc3339,
    author: text,
    architecture: fc.constantFrom('amd64', 'arm64', ''),
    os: fc.constantFrom('linux', ''),
    'os.version': text,
    'os.features': fc.array(text, { maxLength: 2 }),
    variant: text,
    config: fc.record({
      User: text, ExposedPorts: stringSet, Env: fc.array(text, { maxLength: 3 }), Entrypoint: fc.array(text, { maxLength: 3 }),
      Cmd: fc.array(text, { maxLength: 3 }), Volumes: stringSet, WorkingDir: text, Labels: stringMap, StopSignal: text,
      ArgsEscaped: fc.boolean(), OnBuild: fc.array(text, { maxLength: 2 }), Shell: fc.array(text, { maxLength: 2 }),
      Healthcheck: fc.record({ Test: fc.array(text, { maxLength: 3 }), Interval: fc.nat(), Timeout: fc.nat(), StartPeriod: fc.nat(), Retries: fc.nat() }, { requiredKeys: [], noNullPrototype: true }),
      Hostname: text, Tty: fc.boolean(), Image: text,
    }, { requiredKeys: [], noNullPrototype: true }),
    parent: text,
    comment: text,
    container: text,
    container_config: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify({ v })) as Record<string, unknown>),
    docker_version: text,
  }, { requiredKeys: ['architecture', 'os'], noNullPrototype: true }),
  fc.array(fc.record({ created: rfc3339, created_by: text, author: text, comment: text, empty_layer: fc.boolean() }, { requiredKeys: [], noNullPrototype: true }), { maxLength: 6 }),
).map(([diffIds, c, history]) => {
  // History may not list more layers than rootfs has.
  let layers = 0;
  const fitted = history.map((h) => (h.empty_layer || layers++ < diffIds.length ? h : { ...h, empty_layer: true }));
  return { ...c, rootfs: { type: 'layers', diff_ids: diffIds }, ...(history.length > 0 ? { history: fitted } : {}) };
});

// ---- mutations ----

/**
 * JSON values a field may be replaced with: every type, edge numbers, deep nesting. As JSON
 * text, so each mutation inserts a fresh value (a shared one could be mutated into a cycle).
 */
const anyValue = fc.oneof(
  fc.constantFrom('null', 'true', 'false', '0', '-1', '1.5', '9007199254740992', '-9223372036854775808', '1e308', '""', '"x"', '"sha256:zz"',
    '"2024-13-45T99:99:99Z"', '[]', '{}', '[null]', '{"":null}'),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 1, max: 12_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
);

type ValueMutation = { op: 'delete' | 'set' | 'add' | 'wrap'; pick: number; key: string; value: string };

const valueMutation: fc.Arbitrary<ValueMutation> = fc.record({
  op: fc.constantFrom('delete', 'set', 'set', 'add', 'wrap'),
  pick: fc.nat(),
  key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'schemaVersion', 'mediaType', 'config', 'layers', 'manifests', 'digest', 'size', 'rootfs', 'diff_ids', 'history', 'Env', 'Labels', 'empty_layer', 'platform'), fc.string({ maxLength: 6 })),
  value: anyValue,
});

/** Every object and array in `root`, with a way to change each one's children. */
function containers(root: unknown): (Record<string, unknown> | unknown[])[] {
  const out: (Record<string, unknown> | unknown[])[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (typeof v !== 'object' || v === null || depth > 20) return;
    out.push(v as Record<string, unknown> | unknown[]);
    for (const child of Object.values(v)) walk(child, depth + 1);
  };
  walk(root, 0);
  return out;
}

/** The document's JSON text after the mutations (inserted values spliced in as text, deep ones too). */
function mutateValue(doc: unknown, muts: ValueMutation[]): string {
  const root = JSON.parse(JSON.stringify(doc)) as unknown;
  const inserted: string[] = [];
  const placeholder = (value: string): string => `\u0000inserted ${inserted.push(value) - 1}\u0000`;
  for (const m of muts) {
    const all = containers(root);
    if (all.length === 0) break;
    const target = all[m.pick % all.length]!;
    const keys = Object.keys(target);
    const key = Array.isArray(target) ? String(m.pick % Math.max(1, target.length)) : (keys[m.pick % Math.max(1, keys.length)] ?? m.key);
    const t = target as Record<string, unknown>;
    // defineProperty, so that a key named __proto__ is a plain field, as JSON.parse makes it.
    const put = (k: string, v: unknown): void => void Object.defineProperty(t, k, { value: v, enumerable: true, writable: true, configurable: true });
    if (m.op === 'delete') delete t[key];
    else if (m.op === 'set') put(key, placeholder(m.value));
    else if (m.op === 'add' && !Array.isArray(target)) put(m.key, placeholder(m.value));
    else if (m.op === 'wrap') put(key, [t[key]]);
  }
  return JSON.stringify(root).replace(/"\\u0000inserted (\d+)\\u0000"/g, (_, i: string) => inserted[Number(i)]!);
}

type ByteMutation = { op: 'flip'; at: number; bit: number } | { op: 'truncate'; at: number } | { op: 'dupKey'; at: number };

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('dupKey' as const), at: fc.nat() }),
);

function mutateBytes(bytes: Buffer, muts: ByteMutation[]): Buffer {
  let b = Buffer.from(bytes);
  for (const m of muts) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.op === 'flip') b[at] = b[at]! ^ (1 << m.bit);
    else if (m.op === 'truncate') b = b.subarray(0, at);
    else {
      // Repeat a `"key":` at an object's start: JSON.parse keeps the last, as Go's decoder does.
      const s = b.toString('latin1');
      const keyAt = s.indexOf('"', at);
      const brace = s.lastIndexOf('{', keyAt);
      const colon = s.indexOf('":', keyAt + 1);
      if (keyAt < 0 || brace < 0 || colon < 0) continue;
      b = Buffer.from(`${s.slice(0, brace + 1)}${s.slice(keyAt, colon + 2)}null,${s.slice(brace + 1)}`, 'latin1');
    }
  }
  return b;
}

// ---- checks ----

type Kind = 'manifest' | 'config';

/** Parses, and re-serialises what was read; anything thrown must be an invalid-argument error naming the document. */
function readOrRefuse(kind: Kind, bytes: Buffer): void {
  const document = kind === 'manifest' ? 'manifest' : 'image config';
  try {
    if (kind === 'config') {
      const c = parseImageConfigBytes(bytes, document);
      assert.deepEqual(parseImageConfigBytes(serializeImageConfig(c), document), c);
    } else {
      const parsed = parseManifestBytes(bytes, document);
      const doc = parsed.kind === 'manifest' ? parsed.manifest : parsed.index;
      const again = parseManifestBytes(serializeManifest(doc), document);
      assert.deepEqual(again.kind === 'manifest' ? again.manifest : again.index, doc);
    }
  } catch (err) {
    assert.ok(isStrataError(err, 'invalid-argument'), `${String(err)} for ${bytes.toString('utf8').slice(0, 300)}`);
    assert.ok(err.message.startsWith(`${document}: `), err.message);
  }
}

const documents = fc.oneof(
  manifest.map((d) => ['manifest', d] as const),
  index.map((d) => ['manifest', d] as const),
  config.map((d) => ['config', d] as const),
);

fuzzTests(import.meta.url, {
  'fuzz: valid manifests, indexes and configs survive serialise → parse unchanged': () => {
    fc.assert(fc.property(manifest, index, config, (m, i, c) => {
      const pm = parseManifestBytes(serializeManifest(m));
      assert.deepEqual(pm, { kind: 'manifest', manifest: m });
      const pi = parseManifestBytes(serializeManifest(i));
      assert.deepEqual(pi, { kind: 'index', index: i });
      assert.deepEqual(parseImageConfigBytes(serializeImageConfig(c)), c);
    }), fuzzParams(500));
  },

  'fuzz: documents with fields dropped, retyped, added or nested are read or refused naming the document': () => {
    fc.assert(fc.property(documents, fc.array(valueMutation, { minLength: 1, maxLength: 4 }), ([kind, doc], muts) => {
      readOrRefuse(kind, Buffer.from(mutateValue(doc, muts)));
    }), fuzzParams(1000));
  },

  'fuzz: documents with flipped bits, cut short or with duplicated keys are read or refused naming the document': () => {
    fc.assert(fc.property(documents, fc.array(byteMutation, { minLength: 1, maxLength: 4 }), ([kind, doc], muts) => {
      const bytes = kind === 'config' ? serializeImageConfig(doc as ImageConfig) : serializeManifest(doc as ImageManifest);
      readOrRefuse(kind, mutateBytes(bytes, muts));
    }), fuzzParams(1000));
  },

  // Regression (found by the value mutations): JSON.parse reads any depth, but writing such a
  // config again (commit, build on it) overflowed the stack with a RangeError.
  'regression: a config nested 10000 levels deep is refused naming the limit, not a stack overflow later': () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const text = `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Extra":${deep}}}`;
    assert.throws(() => serializeImageConfig(parseImageConfigBytes(Buffer.from(text))), {
      name: 'StrataError',
      message: 'image config: JSON nested deeper than 1000 levels',
    });
    // Brackets inside strings are text, not nesting.
    const quoted = `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"comment":"${'['.repeat(5000)}\\"{"}`;
    assert.equal(parseImageConfigBytes(Buffer.from(quoted)).comment, `${'['.repeat(5000)}"{`);
  },
});
