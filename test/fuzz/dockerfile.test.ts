// Fuzzing the Dockerfile parser (src/builder/dockerfile/): random, mutated and hostile
// Dockerfiles give a model or a clean DockerfileError with a position, never another exception
// and never a stall; the shell lexer gives a value or a DetailError for any word.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import type { Dockerfile } from '../../src/builder/dockerfile/index.ts';
import { expandInstruction, expandString, expandWords, isDockerfileError, parseDockerfile } from '../../src/builder/dockerfile/index.ts';
import { DetailError } from '../../src/builder/dockerfile/errors.ts';
import { fuzzParams, fuzzTests } from '../helpers/fuzz.ts';
import type { FuzzCase } from '../helpers/fuzz.ts';

const FILE_LEVEL = new Set(['the Dockerfile cannot be empty', 'file with no instructions', 'dockerfile contains no stages to build']);

/** Parses and checks the outcome is a well-formed model or a positioned DockerfileError. */
function check(text: string): Dockerfile | undefined {
  const lines = text.split('\n').length;
  let df: Dockerfile;
  try {
    df = parseDockerfile(text);
  } catch (err) {
    assert.ok(isDockerfileError(err), `not a DockerfileError: ${String(err)} for ${JSON.stringify(text)}`);
    assert.equal(err.code, 'invalid-argument');
    if (err.location.line === undefined) {
      assert.ok(FILE_LEVEL.has(err.detail), `no line for ${JSON.stringify(err.detail)}`);
    } else {
      assert.ok(err.location.line >= 1 && err.location.line <= lines, `line ${err.location.line} outside 1..${lines}`);
      assert.ok((err.location.endLine ?? err.location.line) >= err.location.line);
      assert.match(err.message, /^Dockerfile:\d+: /);
    }
    return undefined;
  }
  assert.ok(df.stages.length > 0);
  let prev = 0;
  for (const [i, stage] of df.stages.entries()) {
    assert.equal(stage.index, i);
    for (const node of [stage, ...stage.instructions]) {
      assert.ok(node.location.line > prev - 1 && node.location.line <= node.location.endLine && node.location.endLine <= lines);
      prev = node.location.endLine;
    }
  }
  // Expanding any instruction either works or fails with a positioned error.
  for (const inst of df.stages.flatMap((s) => s.instructions)) {
    try {
      expandInstruction(inst, { A: 'a b', B: '' }, { escapeToken: df.escapeToken });
    } catch (err) {
      assert.ok(isDockerfileError(err) && err.location.line === inst.location.line, String(err));
    }
  }
  return df;
}

const pieces = [
  'FROM a', 'FROM a AS b', 'FROM --platform=$P a', 'RUN x', 'RUN <<EOF', 'RUN <<-EOF', "RUN <<'E' cat", 'COPY <<A <<B /d', 'EOF', '\tEOF',
  'A', 'B', 'E', 'ENV a=b c="d e"', 'ENV a b', 'LABEL "x y"=z', 'ARG A=${B:-c} D', 'CMD ["a", "b"]', 'CMD ["a", 1]', "CMD ['a']",
  'HEALTHCHECK --interval=1s CMD x', 'HEALTHCHECK NONE', 'ONBUILD RUN x', 'ONBUILD ONBUILD x', 'COPY --from=a --chown=1 x y',
  'RUN --mount=type=cache,target=/x a', 'RUN --mount=type=$T a', '# escape=`', '# escape=\\', '# syntax=x', '# check=skip=all',
  '# comment', '', '   ', '\\', '`', 'RUN a \\', 'RUN a `', 'VOLUME ["/a"]', 'EXPOSE 80 ${P}', 'SHELL ["sh"]', 'USER ${U:?x}',
  'WORKDIR $W', 'STOPSIGNAL 9', 'MAINTAINER me', 'ADD --checksum=x a b', 'FROBNICATE', 'ENTRYPOINT', 'ENV', 'COPY a', '\ufeffFROM z',
];
const noise = fc.array(fc.constantFrom('R', 'U', 'N', ' ', '\\', '`', '<', '-', 'E', 'O', 'F', '"', "'", '[', ']', ',', '=', '#', '$', '{', '}', ':', '\t', '\r', 'é', '\u0000', '\u2028'), { maxLength: 20 }).map((a) => a.join(''));

const cases: Record<string, FuzzCase> = {};

cases['fuzz: random Dockerfiles built from instruction pieces'] = () => {
  fc.assert(fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces), noise), { maxLength: 14 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
    check(lines.join(eol));
  }), fuzzParams(1000));
};

cases['fuzz: arbitrary unicode text'] = () => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
    check(text);
    check(`FROM x\n${text}`);
  }), fuzzParams(500));
};

const root = resolve(import.meta.dirname, '../fixtures/dockerfiles');
const corpus = readdirSync(root).filter((n) => statSync(join(root, n)).isDirectory()).map((n) => readFileSync(join(root, n, 'Dockerfile'), 'utf8'));

cases['fuzz: mutated corpus Dockerfiles (inserts, deletes, bit flips, truncation, duplicated lines)'] = () => {
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(noise, fc.constantFrom('\n', '\\\n', '<<EOF', '"', '${', '#', '[')) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('dupline' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  );
  fc.assert(fc.property(fc.constantFrom(...corpus), fc.array(mutation, { minLength: 1, maxLength: 6 }), (src, muts) => {
    let text = src;
    for (const m of muts) {
      const at = text.length === 0 ? 0 : m.at % (text.length + 1);
      if (m.op === 'insert') text = text.slice(0, at) + m.text + text.slice(at);
      else if (m.op === 'delete') text = text.slice(0, at) + text.slice(at + m.len);
      else if (m.op === 'truncate') text = text.slice(0, at);
      else if (m.op === 'flip') {
        if (at < text.length) text = text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ (1 << m.bit)) + text.slice(at + 1);
      } else {
        const lines = text.split('\n');
        const i = lines.length === 0 ? 0 : m.at % lines.length;
        lines.splice(i, 0, lines[i] ?? '');
        text = lines.join('\n');
      }
    }
    check(text);
  }), fuzzParams(1000));
};

cases['fuzz: the lexer returns a value or a DetailError for any word'] = () => {
  const word = fc.array(fc.constantFrom('a', ' ', '$', '{', '}', ':', '-', '+', '?', '#', '%', '/', '\\', '`', "'", '"', '*', '<', 'X', '\n'), { maxLength: 40 }).map((a) => a.join(''));
  fc.assert(fc.property(word, fc.constantFrom('\\', '`'), (w, escapeToken) => {
    for (const fn of [expandString, expandWords]) {
      try {
        fn(w, { X: 'x*y\nz', a: '' }, { escapeToken });
      } catch (err) {
        assert.ok(err instanceof DetailError, String(err));
        assert.match(err.message, /^failed to process "/);
      }
    }
  }), fuzzParams(1000));
};

// Inputs shaped to make backtracking parsers or regexes go quadratic or worse.
const hostile: [string, string][] = [
  ['long run of spaces in a heredoc word', `FROM x\nRUN <<${' '.repeat(60_000)}a<\n`],
  ['many backslashes', `FROM x\nRUN ${'\\'.repeat(60_000)}\n`],
  ['many continuation lines', `FROM x\nRUN a${' \\\n b'.repeat(20_000)}\n`],
  ['directive with a long spaced value', `# syntax=a${' '.repeat(60_000)}b\nFROM x\n`],
  ['unbalanced quotes in flags', `FROM x\nCOPY --from="${'a'.repeat(60_000)} x y\n`],
  ['deeply nested JSON', `FROM x\nCMD ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`],
  ['many heredocs on one line', `FROM x\nRUN ${Array.from({ length: 2000 }, (_, i) => `<<E${i}`).join(' ')}\n${Array.from({ length: 2000 }, (_, i) => `E${i}`).join('\n')}\n`],
  ['long ENV words', `FROM x\nENV ${Array.from({ length: 5000 }, (_, i) => `K${i}="v ${i}"`).join(' ')}\n`],
];

// A stall (catastrophic backtracking, quadratic scans) is caught by the harness's hang guard.
for (const [name, text] of hostile) {
  cases[`no stall: ${name}`] = () => {
    check(text);
  };
}

cases['no stall: a shell pattern with many stars against a long value'] = () => {
  const value = 'a'.repeat(300);
  assert.equal(expandString('${X%%*a*a*a*a*a*a*a*a*b}', { X: value }).value, value);
  assert.equal(expandString('${X//*a*a*a*b/-}', { X: value }).value, value);
};

fuzzTests(import.meta.url, cases);
