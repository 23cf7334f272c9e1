// Lines, directives, continuations, comments, heredocs and the JSON form, as BuildKit reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Instruction, RunInstruction } from '../../../src/builder/dockerfile/index.ts';
import { parseDockerfile } from '../../../src/builder/dockerfile/index.ts';

function insts(text: string): Instruction[] {
  return parseDockerfile(text).stages.flatMap((s) => s.instructions);
}

function run(text: string): RunInstruction {
  const i = insts(text).find((x): x is RunInstruction => x.kind === 'RUN');
  assert.ok(i !== undefined);
  return i;
}

test('directives: syntax is recorded, escape and check take effect, names are case-insensitive', () => {
  const df = parseDockerfile('# syntax = docker/dockerfile:1.7\n#ESCAPE=`\n# check=skip=all\nFROM x\nRUN a `\n  b\n');
  assert.equal(df.syntax, 'docker/dockerfile:1.7');
  assert.equal(df.escapeToken, '`');
  assert.deepEqual(df.directives.map((d) => [d.name, d.value, d.line]), [['syntax', 'docker/dockerfile:1.7', 1], ['escape', '`', 2], ['check', 'skip=all', 3]]);
  assert.deepEqual(df.check, { skip: [], skipAll: true, experimental: [], experimentalAll: false, error: false });
  assert.deepEqual((df.stages[0]?.instructions[0] as RunInstruction).command, ['a   b']);
});

test('directives end at the first line that is not one (a comment, a blank line, an unknown name)', () => {
  for (const text of ['# hello\n# escape=`\nFROM x\n', '\n# escape=`\nFROM x\n', '# foo=bar\n# escape=`\nFROM x\n', 'FROM x\n# escape=`\n']) {
    assert.equal(parseDockerfile(text).escapeToken, '\\', JSON.stringify(text));
  }
});

test('a directive line is not kept as a comment of the first instruction', () => {
  const df = parseDockerfile('# syntax=x\n# about the stage\nFROM x\n');
  assert.deepEqual(df.stages[0]?.comments, ['about the stage']);
});

test('check directive: skip list, experimental list and error flag', () => {
  const df = parseDockerfile('# check=skip=JSONArgsRecommended, StageNameCasing;error=true;experimental=all\nFROM x AS Bad\nCMD echo\n');
  assert.deepEqual(df.check, { skip: ['JSONArgsRecommended', 'StageNameCasing'], skipAll: false, experimental: [], experimentalAll: true, error: true });
  assert.ok(!df.warnings.some((w) => w.rule === 'StageNameCasing'));
});

test('continuations: backslash, trailing spaces after it, escaped escape, backtick, EOF', () => {
  assert.deepEqual(run('FROM x\nRUN a \\\n b').command, ['a  b']);
  assert.deepEqual(run('FROM x\nRUN a\\   \t\nb').command, ['ab']);
  assert.deepEqual(run('FROM x\nRUN a \\\\\nRUN b').command, ['a \\\\']);
  assert.deepEqual(run('# escape=`\nFROM x\nRUN dir C:\\ `\n  /w').command, ['dir C:\\   /w']);
  assert.deepEqual(run('FROM x\nRUN tail \\').command, ['tail']);
  assert.deepEqual(run('FROM x\n\\\nRUN x').command, ['x']);
});

test('continuations skip comment lines and empty lines, and warn about the empty ones', () => {
  const df = parseDockerfile('FROM x\nRUN a \\\n# comment \\\n   # indented comment\n\n  b\n');
  const r = df.stages[0]?.instructions[0] as RunInstruction;
  assert.deepEqual(r.command, ['a   b']);
  assert.deepEqual(r.location, { file: 'Dockerfile', line: 2, column: 1, endLine: 6 });
  assert.deepEqual(df.warnings.map((w) => [w.rule, w.message, w.location.line]), [['NoEmptyContinuation', 'Empty continuation line', 6]]);
});

test('leading whitespace, CRLF line endings and a BOM are ignored', () => {
  const df = parseDockerfile('\ufeff  FROM x\r\n\t RUN a \\\r\n  b\r\n');
  const r = df.stages[0]?.instructions[0] as RunInstruction;
  assert.deepEqual(r.command, ['a   b']);
  assert.equal(r.location.column, 3);
  assert.equal(df.stages[0]?.location.column, 3);
});

test('a Dockerfile given as bytes is decoded as UTF-8', () => {
  const df = parseDockerfile(Buffer.from('FROM x\nLABEL note="héllo"\n'));
  assert.deepEqual(df.stages[0]?.instructions[0]?.kind === 'LABEL' && df.stages[0].instructions[0].pairs[0]?.value, '"héllo"');
});

test('comments directly above an instruction are attached to it; `#` alone resets them', () => {
  const [a, b] = insts('FROM x\n# one\n# two\nRUN a\n# dropped\n#\n# kept\nRUN b\n');
  assert.deepEqual(a?.comments, ['one', 'two']);
  assert.deepEqual(b?.comments, ['kept']);
});

test('JSON form: a valid JSON array of strings, whitespace and escapes intact', () => {
  assert.deepEqual(run('FROM x\nRUN ["echo","hello world"]').command, ['echo', 'hello world']);
  assert.deepEqual(run('FROM x\nRUN   [ "a\\"b" , "c\\nd" ]   ').command, ['a"b', 'c\nd']);
  assert.deepEqual(run('FROM x\nRUN ["a", \'b\']').form, 'shell');
  assert.deepEqual(run('FROM x\nRUN ["a",]').form, 'shell');
  assert.deepEqual(run('FROM x\nRUN ["a"] b').form, 'shell');
  assert.deepEqual(run('FROM x\nRUN [1e999]').form, 'shell');
  assert.deepEqual(run('FROM x\nRUN []').command, []);
  assert.equal(run('FROM x\nRUN []').form, 'exec');
});

test('heredoc: RUN <<EOF keeps the body and the delimiter as the command', () => {
  const r = run('FROM x\nRUN <<EOF\necho a\necho b\nEOF\nRUN after');
  assert.deepEqual(r.command, ['<<EOF']);
  assert.deepEqual(r.heredocs, [{ name: 'EOF', content: 'echo a\necho b\n', chomp: false, expand: true, fileDescriptor: 0 }]);
  assert.deepEqual([r.location.line, r.location.endLine], [2, 5]);
  assert.equal(insts('FROM x\nRUN <<EOF\necho a\nEOF\nRUN after')[1]?.original, 'RUN after');
});

test('heredoc: <<-EOF strips leading tabs on the terminator (the body is chomped when used)', () => {
  const r = run('FROM x\nRUN <<-EOF\n\techo a\n\t\tEOF\n');
  assert.deepEqual([r.heredocs[0]?.content, r.heredocs[0]?.chomp], ['\techo a\n', true]);
});

test('heredoc: quoted delimiters turn expansion off', () => {
  for (const [line, name, expand] of [
    ["RUN <<'EOF'", 'EOF', false], ['RUN <<"EOF"', 'EOF', false], ['RUN <<E"O"F', 'EOF', false], ['RUN <<EOF', 'EOF', true],
    ['RUN << EOF', 'EOF', true], ['RUN <<-"EOF"', 'EOF', false], ["RUN <<'one two'", 'one two', false],
  ] as const) {
    const r = run(`FROM x\n${line}\nbody\n${name}\n`);
    assert.deepEqual([r.heredocs[0]?.name, r.heredocs[0]?.expand], [name, expand], line);
  }
});

test('heredoc: `<<- EOF` (space after the dash) is not a heredoc in BuildKit', () => {
  const all = insts('FROM x\nRUN <<- EOF\nWORKDIR /body\n');
  assert.deepEqual(all.map((i) => i.kind), ['RUN', 'WORKDIR']);
});

test('heredoc: several on one line, read in order; command text around them is kept', () => {
  const r = run('FROM x\nRUN cat <<A >a && cat 3<<B >b\nbody a\nA\nbody b\nB\n');
  assert.deepEqual(r.command, ['cat <<A >a && cat 3<<B >b']);
  assert.deepEqual(r.heredocs.map((h) => [h.name, h.content, h.fileDescriptor]), [['A', 'body a\n', 0], ['B', 'body b\n', 3]]);
  const py = run('FROM x\nRUN <<EOF python3\nprint(1)\nEOF\n');
  assert.deepEqual([py.command, py.heredocs[0]?.content], [['<<EOF python3'], 'print(1)\n']);
});

test('heredoc: COPY and ADD take heredocs as inline files (chomped, expand flag)', () => {
  const [c, a] = insts('FROM x\nCOPY src <<-one.txt <<"two" /dst/\n\t\tindented\none.txt\n$LITERAL\ntwo\nADD <<f /f\nx\nf\n');
  assert.ok(c?.kind === 'COPY' && a?.kind === 'ADD');
  assert.deepEqual(c.sources, ['src']);
  assert.deepEqual(c.inline, [{ name: 'one.txt', content: 'indented\n', expand: true }, { name: 'two', content: '$LITERAL\n', expand: false }]);
  assert.deepEqual(a.inline, [{ name: 'f', content: 'x\n', expand: true }]);
});

test('heredoc: not recognised in JSON form, in quotes, or in other instructions', () => {
  assert.deepEqual(run('FROM x\nRUN ["<<EOF"]').heredocs, []);
  assert.deepEqual(run('FROM x\nRUN echo "<<EOF"').heredocs, []);
  const [u, after] = insts('FROM x\nUSER <<EOF\nRUN next\n');
  assert.deepEqual([u?.kind, after?.kind], ['USER', 'RUN']);
});

test('heredoc: the body keeps CRLF endings and lines that look like instructions or comments', () => {
  const r = run('FROM x\r\nRUN <<EOF\r\n# not a comment\r\nFROM y\r\nEOF\r\n');
  assert.equal(r.heredocs[0]?.content, '# not a comment\r\nFROM y\r\n');
});

test('ENV/LABEL words keep quotes and escapes for the expansion step', () => {
  const [e] = insts('FROM x\nENV A="a b" B=\'c d\' C=e\\ f D="g\\"h"\n');
  assert.deepEqual(e?.kind === 'ENV' && e.pairs.map((p) => p.value), ['"a b"', "'c d'", 'e\\ f', '"g\\"h"']);
});

test('instruction keywords are case-insensitive and kept as written', () => {
  const df = parseDockerfile('from x\nRun a\ncOpY a b\n');
  assert.deepEqual(df.stages[0]?.instructions.map((i) => [i.kind, i.keyword]), [['RUN', 'Run'], ['COPY', 'cOpY']]);
  assert.ok(df.warnings.some((w) => w.rule === 'ConsistentInstructionCasing' && w.message === "Command 'Run' should match the case of the command majority (lowercase)"));
});

test('lint warnings BuildKit derives from the text', () => {
  const df = parseDockerfile('FROM a AS one\nMAINTAINER me\nENV K v\nCMD a\nCMD b\nFROM b AS one\nFROM c AS scratch\n');
  const rules = df.warnings.map((w) => `${w.rule}@${w.location.line}: ${w.message}`);
  assert.deepEqual(rules.sort(), [
    'DuplicateStageName@6: Duplicate stage name "one", stage names should be unique',
    'LegacyKeyValueFormat@3: "ENV key=value" should be used instead of legacy "ENV key value" format',
    'MaintainerDeprecated@2: Maintainer instruction is deprecated in favor of using label',
    'MultipleInstructionsDisallowed@4: Multiple CMD instructions should not be used in the same stage because only the last one will be used',
    'ReservedStageName@7: Stage name should not use the same name as reserved stage "scratch"',
  ]);
  assert.equal(df.warnings.find((w) => w.rule === 'DuplicateStageName')?.url, 'https://docs.docker.com/go/dockerfile/rule/duplicate-stage-name/');
});
