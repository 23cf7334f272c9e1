// .dockerignore semantics: docker's documented examples, moby's patternmatcher rules, and the
// context walker's "walk into an excluded directory" rule on real directories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { IgnoreMatcher, listIncluded, loadIgnoreFile, readIgnoreFile } from '../../../src/builder/context/ignore.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';

function excluded(ignoreFile: string, path: string): boolean {
  return new IgnoreMatcher(readIgnoreFile(ignoreFile)).matches(path);
}

// [.dockerignore text, path, excluded?] — the first group follows docker's documentation.
const cases: [string, string, boolean][] = [
  // "# comment / */temp* / */*/temp* / temp?"
  ['*/temp*', 'somedir/temporary.txt', true],
  ['*/temp*', 'somedir/temp', true],
  ['*/temp*', 'somedir/temp/inner.txt', true],
  ['*/temp*', 'temporary.txt', false],
  ['*/temp*', 'a/b/temporary.txt', false],
  ['*/*/temp*', 'somedir/subdir/temporary.txt', true],
  ['*/*/temp*', 'somedir/temporary.txt', false],
  ['temp?', 'tempa', true],
  ['temp?', 'tempb', true],
  ['temp?', 'temp', false],
  ['temp?', 'tempab', false],
  ['temp?', 'dir/tempa', false],
  // "**/*.go" excludes .go files in every directory, the root included.
  ['**/*.go', 'main.go', true],
  ['**/*.go', 'cmd/server/main.go', true],
  ['**/*.go', 'main.go.txt', false],
  // "*.md / !README.md"
  ['*.md\n!README.md', 'CHANGELOG.md', true],
  ['*.md\n!README.md', 'README.md', false],
  ['*.md\n!README.md', 'docs/guide.md', false],
  // "*.md / !README*.md / README-secret.md"
  ['*.md\n!README*.md\nREADME-secret.md', 'README-secret.md', true],
  ['*.md\n!README*.md\nREADME-secret.md', 'README-public.md', false],
  ['*.md\n!README*.md\nREADME-secret.md', 'NOTES.md', true],
  // "*.md / README-secret.md / !README*.md": the last line wins.
  ['*.md\nREADME-secret.md\n!README*.md', 'README-secret.md', false],
  ['*.md\nREADME-secret.md\n!README*.md', 'other.md', true],
  // Comments, blank lines, surrounding whitespace.
  ['# comment\n\n   \nfoo', 'foo', true],
  ['# foo', 'foo', false],
  ['  foo  ', 'foo', true],
  [' # not a comment', '# not a comment', true],
  // Leading and trailing slashes are cleaned away; /foo/bar/ equals foo/bar.
  ['/foo/bar/', 'foo/bar', true],
  ['/foo/bar/', 'foo/bar/baz.txt', true],
  ['foo//bar', 'foo/bar', true],
  ['./foo', 'foo', true],
  ['foo/../bar', 'bar', true],
  ['foo/../bar', 'foo', false],
  // A matched directory excludes everything under it.
  ['node_modules', 'node_modules', true],
  ['node_modules', 'node_modules/pkg/index.js', true],
  ['node_modules', 'src/node_modules', false],
  ['**/node_modules', 'src/node_modules/pkg/index.js', true],
  ['dist/', 'dist/app.js', true],
  // ** spans any number of directories, including none.
  ['a/**/b', 'a/b', true],
  ['a/**/b', 'a/x/b', true],
  ['a/**/b', 'a/x/y/z/b', true],
  ['a/**/b', 'a/xb', false],
  ['**', 'anything/at/all', true],
  ['foo/**', 'foo/bar', true],
  ['foo/**', 'foo', false],
  ['**/foo', 'foo', true],
  ['**/foo', 'x/y/foo', true],
  ['**/foo', 'x/yfoo', false],
  ['**/foo/*.txt', 'a/b/foo/x.txt', true],
  ['**/foo/*.txt', 'foo/x.txt', true],
  // * and ? never cross a slash.
  ['*', 'a', true],
  ['*', 'a/b', true],
  ['*.txt', 'dir/a.txt', false],
  ['a*', 'a/b', true],
  ['?', 'a', true],
  ['?', 'ab', false],
  ['a?c', 'a/c', false],
  // Character classes and ranges, negation with ^.
  ['[abc].txt', 'b.txt', true],
  ['[abc].txt', 'd.txt', false],
  ['[a-c]?.log', 'b1.log', true],
  ['[^a].txt', 'a.txt', false],
  ['[^a].txt', 'b.txt', true],
  ['file[0-9][0-9]', 'file42', true],
  ['file[0-9][0-9]', 'file4x', false],
  // Escapes make special characters literal.
  ['\\*.txt', '*.txt', true],
  ['\\*.txt', 'a.txt', false],
  ['what\\?', 'what?', true],
  ['what\\?', 'whatx', false],
  ['\\[x\\]', '[x]', true],
  // Regex characters are literal.
  ['a.b', 'a.b', true],
  ['a.b', 'axb', false],
  ['a+b(c)', 'a+b(c)', true],
  ['$HOME', '$HOME', true],
  // Exceptions re-include, later patterns win, parents count.
  ['docs\n!docs/README.md', 'docs/README.md', false],
  ['docs\n!docs/README.md', 'docs/other.md', true],
  ['docs\n!docs/README.md\ndocs', 'docs/README.md', true],
  ['!keep\n*', 'keep', true],
  ['build\n!build/keep', 'build/keep/deep/file', false],
  ['*\n!src', 'src/a/b.ts', false],
  ['*\n!src\nsrc/**/*.test.ts', 'src/a/b.test.ts', true],
  // Case matters.
  ['*.MD', 'readme.md', false],
  // "." is ignored in practice: no path is ".".
  ['.', 'anything', false],
];

for (const [ignore, path, want] of cases) {
  test(`${JSON.stringify(ignore)} ${want ? 'excludes' : 'keeps'} ${path}`, () => {
    assert.equal(excluded(ignore, path), want);
  });
}

test('there are at least 50 hand cases', () => {
  assert.ok(cases.length >= 50);
});

test('readIgnoreFile: comments, blank lines, BOM, CRLF, ! with spaces, cleaning', () => {
  assert.deepEqual(readIgnoreFile('\ufeff# c\r\nfoo/\r\n\r\n ! /bar/../baz \r\n/\n!\n  #x\n'), ['foo', '!baz', '/', '!', '#x']);
  assert.deepEqual(readIgnoreFile(Buffer.from('a\nb')), ['a', 'b']);
});

test('invalid patterns are clean invalid-argument errors naming the file', () => {
  for (const bad of ['!', '[', 'a[b', '[]', '[a-]', 'x\\', '*[']) {
    assert.throws(() => new IgnoreMatcher([bad], 'ctx/.dockerignore'), (err: unknown) => {
      assert.ok(isStrataError(err, 'invalid-argument'), String(err));
      assert.match((err as Error).message, /^ctx\/\.dockerignore: /);
      return true;
    }, bad);
  }
  // `!/` cleans to a lone `!` in docker too.
  assert.throws(() => new IgnoreMatcher(readIgnoreFile('!/')), { message: '.dockerignore: illegal exclusion pattern: "!"' });
  // A pattern Go's regexp cannot compile fails when first used, as in docker.
  const m = new IgnoreMatcher(['a', '!\\c']);
  assert.equal(m.matches('b'), false);
  assert.throws(() => m.matches('a'), (err: unknown) => isStrataError(err, 'invalid-argument'));
});

test('Go regexp semantics inside patterns: POSIX classes and escapes', () => {
  assert.equal(excluded('[[:digit:]]*', '7up'), true);
  assert.equal(excluded('[[:digit:]]*', 'seven'), false);
  assert.equal(excluded('\\d.txt', '5.txt'), true);
  assert.equal(excluded('\\x41', 'A'), true);
});

test('matchesUsingParentResults agrees with matches along a walk', () => {
  const m = new IgnoreMatcher(['a', '!a/b', 'a/b/c*', '**/x', '!**/x/y']);
  const paths = ['a', 'a/b', 'a/b/c1', 'a/b/d', 'a/b/c1/e', 'q', 'q/x', 'q/x/y', 'q/x/z', 'a/b/x/y'];
  const infos = new Map<string, ReturnType<IgnoreMatcher['matchesUsingParentResults']>['info']>();
  for (const p of paths) {
    const parent = p.includes('/') ? infos.get(p.slice(0, p.lastIndexOf('/'))) : undefined;
    const r = m.matchesUsingParentResults(p, parent);
    infos.set(p, r.info);
    assert.equal(r.matched, m.matches(p), p);
  }
});

test('walk decisions: excluded dirs are skipped unless an exception lies inside', () => {
  const plain = new IgnoreMatcher(['node_modules', 'docs', '!docs/README.md']);
  assert.deepEqual(plain.check('node_modules', true), { excluded: true, descend: false, info: plain.check('node_modules', true).info });
  assert.equal(plain.check('docs', true).descend, true);
  assert.equal(plain.check('src', true).descend, true);
  assert.equal(plain.check('src', true).excluded, false);
  // An exception with a wildcard could match anywhere: the walker has to look inside.
  const wild = new IgnoreMatcher(['vendor', '!**/*.go']);
  assert.deepEqual([wild.check('vendor', true).excluded, wild.check('vendor', true).descend], [true, true]);
});

function tree(files: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'strata-ignore-'));
  for (const f of files) {
    const path = join(root, f);
    if (f.endsWith('/')) mkdirSync(path, { recursive: true });
    else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f);
    }
  }
  return root;
}

test('listIncluded on a real directory: excluded dirs skipped, exceptions re-included with their parents', () => {
  const root = tree(['app.js', 'node_modules/a/index.js', 'docs/README.md', 'docs/guide.md', 'src/main.ts', 'src/main.test.ts', 'empty/', '.git/HEAD']);
  try {
    const m = new IgnoreMatcher(readIgnoreFile('node_modules\n.git\ndocs\n!docs/README.md\n**/*.test.ts\n'));
    assert.deepEqual(listIncluded(root, m), ['app.js', 'docs', 'docs/README.md', 'empty', 'src', 'src/main.ts']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('listIncluded: with a wildcard exception the walker looks inside excluded dirs', () => {
  const root = tree(['a/x.go', 'a/x.txt', 'a/b/y.go', 'c/z.txt', 'top.go']);
  try {
    const m = new IgnoreMatcher(['*', '!**/*.go']);
    assert.deepEqual(listIncluded(root, m), ['a', 'a/b', 'a/b/y.go', 'a/x.go', 'top.go']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('listIncluded lists symlinks without following them', () => {
  const root = tree(['real/f.txt']);
  try {
    symlinkSync('real', join(root, 'link'));
    const m = new IgnoreMatcher(['real']);
    assert.deepEqual(listIncluded(root, m), ['link']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('loadIgnoreFile: <Dockerfile>.dockerignore replaces .dockerignore; none means no patterns', () => {
  const root = tree(['ctx/.dockerignore', 'ctx/Dockerfile', 'other/Dockerfile.dev', 'other/Dockerfile.dev.dockerignore']);
  try {
    writeFileSync(join(root, 'ctx/.dockerignore'), 'from-context\n');
    writeFileSync(join(root, 'other/Dockerfile.dev.dockerignore'), 'from-dockerfile\n!keep\n');
    assert.deepEqual(loadIgnoreFile(join(root, 'ctx'), join(root, 'other/Dockerfile.dev')), {
      patterns: ['from-dockerfile', '!keep'], path: join(root, 'other/Dockerfile.dev.dockerignore'),
    });
    assert.deepEqual(loadIgnoreFile(join(root, 'ctx'), join(root, 'ctx/Dockerfile')), { patterns: ['from-context'], path: join(root, 'ctx/.dockerignore') });
    assert.deepEqual(loadIgnoreFile(join(root, 'ctx')), { patterns: ['from-context'], path: join(root, 'ctx/.dockerignore') });
    assert.deepEqual(loadIgnoreFile(join(root, 'other')), { patterns: [], path: undefined });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
