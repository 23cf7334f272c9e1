// Fuzzing image references (src/oci/reference.ts): references mutated from docker's own
// examples parse or fail with an invalid-argument StrataError; parse → format → parse and the
// familiar form are stable; and, where the docker CLI is installed, strata agrees with it on
// every input: the same verdict, the same normalised name, the same error. The docker CLI
// parses a reference before it talks to a daemon, so `docker pull` against a fake daemon on a
// Unix socket (which accepts the pull) is the oracle: it prints the name it normalised.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { isStrataError } from '../../src/errdefs/index.ts';
import { familiarString, formatReference, parseReference, withDefaultTag } from '../../src/oci/index.ts';
import type { Reference } from '../../src/oci/index.ts';
import { fuzzParams, fuzzTests } from '../helpers/fuzz.ts';

const HEX = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);

// docker's examples (test/unit/oci/reference.test.ts and distribution/reference's own cases).
const seeds = [
  'nginx', 'user/app', 'localhost:5000/a/b:tag', 'localhost/x', 'index.docker.io/library/busybox:1.36',
  `ghcr.io/o/r@sha256:${HEX}`, `docker.io/library/nginx:1.25@sha256:${HEX}`, '[::1]:5000/x:1', 'Nginx',
  '127.0.0.1:5000/UPPER/case:tag', 'nginx:', '-bad', 'x@sha256:abc', 'a__b/c.d-e:v1.2_3', 'quay.io/a/b/c/d:latest',
  'example.com:443/team/app:2024-01-01', 'docker.io/ubuntu', 'A/b', `sha256:${HEX}`, HEX, 'my-registry.local:8080/ns/img',
];

/** Pieces a reference is made of, to insert: separators, a digest, a long tag, upper case. */
const insertable = fc.constantFrom('/', ':', '@', '.', '-', '_', '__', '--', 'A', 'Z', '0', '9', 'x', ' ', '[', ']', '::1',
  `@sha256:${HEX}`, 'sha256:', ':latest', 'localhost', 'docker.io/', 'index.docker.io/', 'library/', 't'.repeat(128), 'n'.repeat(250), 'é');

type Mutation =
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; len: number }
  | { op: 'truncate'; at: number }
  | { op: 'flipCase'; at: number }
  | { op: 'duplicate'; at: number; len: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: insertable }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('flipCase' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 30 }) }),
);

function mutate(seed: string, muts: Mutation[]): string {
  let s = seed;
  for (const m of muts) {
    const at = m.at % (s.length + 1);
    if (m.op === 'insert') s = s.slice(0, at) + m.text + s.slice(at);
    else if (m.op === 'delete') s = s.slice(0, at) + s.slice(at + m.len);
    else if (m.op === 'truncate') s = s.slice(0, at);
    else if (m.op === 'flipCase') {
      const c = s.charAt(at);
      s = s.slice(0, at) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + s.slice(at + 1);
    } else s = s.slice(0, at + m.len) + s.slice(at, at + m.len) + s.slice(at + m.len);
  }
  return s;
}

const mutatedReference = fc.tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([seed, muts]) => mutate(seed, muts));
const anyReference = fc.oneof({ weight: 4, arbitrary: mutatedReference }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) });

/** strata's verdict: the full normalised form (with docker's default tag), or the error's message. */
function strataVerdict(text: string): { ok: true; ref: Reference } | { ok: false; message: string } {
  try {
    return { ok: true, ref: parseReference(text) };
  } catch (err) {
    assert.ok(isStrataError(err, 'invalid-argument'), `${JSON.stringify(text)} threw ${String(err)}`);
    return { ok: false, message: err.message };
  }
}

// ---- the docker CLI as the oracle ----

const dockerCli = spawnSync('docker', ['--version']).status === 0;

/** A fake daemon that accepts any pull, so `docker pull` prints the reference it normalised. */
class FakeDaemon {
  readonly dir = mkdtempSync(join(tmpdir(), 'strata-fuzz-ref-'));
  readonly socket = join(this.dir, 'docker.sock');
  private server: Server | undefined;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      res.setHeader('Api-Version', '1.50');
      res.setHeader('Content-Type', 'application/json');
      res.end(req.url?.endsWith('/_ping') ? 'OK' : '{"status":"pulled"}\n');
    });
    await new Promise<void>((resolve) => this.server!.listen(this.socket, resolve));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** docker's verdict: the reference it pulled (full form, default tag added) or its error line. */
  pull(text: string): Promise<{ ok: true; full: string } | { ok: false; message: string }> {
    return new Promise((resolve, reject) => {
      const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: this.dir, DOCKER_CONFIG: this.dir };
      execFile('docker', ['-H', `unix://${this.socket}`, 'pull', '--', text], { env }, (err, stdout, stderr) => {
        if (err === null) resolve({ ok: true, full: stdout.trimEnd().split('\n').pop() ?? '' });
        else if (typeof err.code === 'number' && stdout === '') resolve({ ok: false, message: stderr.trim() });
        else reject(new Error(`docker pull ${JSON.stringify(text)}: ${err.message}\n${stdout}${stderr}`));
      });
    });
  }
}

/** docker's message for strata's: docker says `invalid reference format` bare, strata also names the input. */
function asDockerSays(message: string): string {
  return message.replace(/^(invalid reference format): ".*"$/s, '$1');
}

/** docker takes sha384 digests; strata refuses them, as it cannot verify sha384 content. */
const SHA384 = /@sha384:[a-f0-9]{96}$/;

fuzzTests(import.meta.url, {
  'fuzz: mutated and random references parse or fail with an invalid-argument error': () => {
    fc.assert(fc.property(anyReference, (text) => {
      const v = strataVerdict(text);
      if (!v.ok) assert.match(v.message, /^(invalid reference format|invalid repository name|repository name must|invalid checksum digest|unsupported digest algorithm)/);
    }), fuzzParams(1000));
  },

  'fuzz: parse → format → parse is stable, and so is the familiar form': () => {
    fc.assert(fc.property(anyReference, (text) => {
      const v = strataVerdict(text);
      if (!v.ok) return;
      const full = formatReference(v.ref);
      assert.deepEqual(parseReference(full), v.ref, `${JSON.stringify(text)} → ${full}`);
      const familiar = familiarString(v.ref);
      // Two familiar forms docker cannot read back either: a Docker Hub path whose first part
      // looks like a domain (`docker.io/a.b/c` prints as `a.b/c`, another registry's), and an
      // official image named by 64 hex digits (`library/<hex>` prints as `<hex>`, an image ID).
      const first = v.ref.path.split('/')[0]!;
      if (v.ref.domain === 'docker.io' && (/[.:]/.test(first) || first === 'localhost' || /^[a-f0-9]{64}$/.test(familiar))) return;
      assert.deepEqual(parseReference(familiar), v.ref, `${JSON.stringify(text)} → ${familiar}`);
      assert.equal(formatReference(withDefaultTag(parseReference(familiar))), formatReference(withDefaultTag(v.ref)));
    }), fuzzParams(1000));
  },

  'fuzz: strata and the docker CLI agree on mutated references (verdict, normalised name, error)': async () => {
    if (!dockerCli) return { skip: 'the docker CLI (the oracle) is not installed here' };
    const daemon = new FakeDaemon();
    await daemon.start();
    try {
      await fc.assert(fc.asyncProperty(anyReference.filter((t) => !t.includes('\0')), async (text) => {
        const docker = await daemon.pull(text);
        const mine = strataVerdict(text);
        if (docker.ok && SHA384.test(text)) {
          assert.ok(!mine.ok && /^unsupported digest algorithm/.test(mine.message), JSON.stringify(text));
        } else if (docker.ok) {
          assert.ok(mine.ok, `${JSON.stringify(text)}: docker pulls ${docker.full}, strata says ${mine.ok ? '' : mine.message}`);
          assert.equal(formatReference(withDefaultTag(mine.ref)), docker.full, JSON.stringify(text));
        } else {
          assert.ok(!mine.ok, `${JSON.stringify(text)}: docker says ${docker.message}, strata reads ${mine.ok ? formatReference(mine.ref) : ''}`);
          assert.equal(asDockerSays(mine.message), docker.message, JSON.stringify(text));
        }
      }), fuzzParams(150));
    } finally {
      await daemon.stop();
    }
    return undefined;
  },

  // Regressions, each the minimal counterexample the docker CLI oracle found, with docker's answer.
  'regression: a 250-character Hub name is too long once `library/` is added; 250 characters under a namespace are not': () => {
    assert.throws(() => parseReference('a'.repeat(250)), { message: 'repository name must not be more than 255 characters' });
    assert.equal(formatReference(parseReference(`${'n'.repeat(250)}/x`)), `docker.io/${'n'.repeat(250)}/x`);
    // A domain does not count: docker measures the path only.
    assert.equal(parseReference(`localhost:5000/${'p'.repeat(255)}`).path, 'p'.repeat(255));
  },

  'regression: the repository part is checked for upper case first, as docker splits it (`_A/B`, `x@S`)': () => {
    assert.throws(() => parseReference('_A/B'), { message: 'invalid reference format: repository name (B) must be lowercase' });
    assert.throws(() => parseReference('x@S'), { message: 'invalid reference format: repository name (library/x@S) must be lowercase' });
    assert.throws(() => parseReference('a__B/c.d-e:v1'), { message: 'repository name must be lowercase' });
  },

  'regression: a bad digest is a bad format or length, not an upper-case name (`x@sha256:Abc`)': () => {
    assert.throws(() => parseReference('x@sha256:Abc'), { message: 'invalid reference format: "x@sha256:Abc"' });
    assert.throws(() => parseReference(`x@sha256:${'a'.repeat(32)}`), { message: 'invalid checksum digest length' });
    assert.throws(() => parseReference(`x@sha256:${'A'.repeat(64)}`), { message: 'invalid checksum digest format' });
    assert.throws(() => parseReference(`x@md5:${'a'.repeat(32)}`), { message: 'unsupported digest algorithm' });
  },

  'regression: an empty reference is docker\'s plain `invalid reference format`': () => {
    assert.throws(() => parseReference(''), { message: 'invalid reference format: ""' });
  },
});
