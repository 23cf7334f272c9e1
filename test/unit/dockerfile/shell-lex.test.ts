// Variable expansion as BuildKit's shell lexer does it: one table per entry point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandString, expandWords } from '../../../src/builder/dockerfile/index.ts';

const env = new Map<string, string>([
  ['HOME', '/home/user'],
  ['EMPTY', ''],
  ['SPACED', 'a  b'],
  ['LEADING', '  x y'],
  ['FILE', 'archive.tar.gz'],
  ['PATHV', '/usr/local/bin:/usr/bin'],
  ['KOREAN', '한국어'],
  ['STAR', 'a*b'],
]);

// [input, expected value or Error message fragment]
const words: [string, string | RegExp][] = [
  ['plain', 'plain'],
  ['$HOME', '/home/user'],
  ['${HOME}', '/home/user'],
  ['pre$HOME/post', 'pre/home/user/post'],
  ['$HOME.x', '/home/user.x'],
  ['$UNSET', ''],
  ['a${UNSET}b', 'ab'],
  ['$', '$'],
  ['$.', '$.'],
  ['a$ b', 'a$ b'],
  ['$1x', 'x'],
  ['$12x', 'x'],
  ['$$', ''],
  ['$@', ''],
  ['${UNSET:-default}', 'default'],
  ['${EMPTY:-default}', 'default'],
  ['${EMPTY-default}', ''],
  ['${UNSET-default}', 'default'],
  ['${HOME:-default}', '/home/user'],
  ['${UNSET:+alt}', ''],
  ['${EMPTY:+alt}', ''],
  ['${EMPTY+alt}', 'alt'],
  ['${HOME:+alt}', 'alt'],
  ['${UNSET:-$HOME}', '/home/user'],
  ['${UNSET:-${ALSO:-nested}}', 'nested'],
  ['${HOME:+${UNSET}}x', 'x'],
  ['${UNSET:-a b  c}', 'a b  c'],
  ['${UNSET:-\\$HOME}', '$HOME'],
  ['${UNSET:-\\}}', '}'],
  ['${HOME?}', '/home/user'],
  ['${EMPTY?}', ''],
  ['${UNSET?}', /UNSET: is not allowed to be unset/],
  ['${UNSET?must be set}', /UNSET: must be set/],
  ['${EMPTY:?}', /EMPTY: is not allowed to be empty/],
  ['${EMPTY:?say so}', /EMPTY: say so/],
  ['${FILE#*.}', 'tar.gz'],
  ['${FILE##*.}', 'gz'],
  ['${FILE%.*}', 'archive.tar'],
  ['${FILE%%.*}', 'archive'],
  ['${FILE#nomatch}', 'archive.tar.gz'],
  ['${PATHV/usr/opt}', '/opt/local/bin:/usr/bin'],
  ['${PATHV//usr/opt}', '/opt/local/bin:/opt/bin'],
  ['${PATHV//\\//-}', '-usr-local-bin:-usr-bin'],
  ['${STAR/\\*/+}', 'a+b'],
  ['${UNSET/a/b}', ''],
  ['${FILE:#x}', /unsupported modifier \(:#\) in substitution/],
  ['${HOME:=x}', /unsupported modifier \(:=\) in substitution/],
  ['${HOME:x}', /unsupported modifier \(:x\) in substitution/],
  ['${}', /bad substitution/],
  ['${:x}', /bad substitution/],
  // An unclosed ${NAME reads past the end: BuildKit reports the "modifier" U+FFFD.
  ['${HOME', /unsupported modifier \(\ufffd\) in substitution/],
  ['${UNSET:-abc', /missing '}'/],
  ['${PATHV/abc', /missing '\/' in \$\{\}/],
  ['he said "hi"', 'he said hi'],
  ["'single 'quoted", 'single quoted'],
  ["it's", /looking for matching single-quote/],
  ['"$HOME"', '/home/user'],
  ["'$HOME'", '$HOME'],
  ['"\'$HOME\'"', "'/home/user'"],
  ['\'"$HOME"\'', '"$HOME"'],
  ['\\$HOME', '$HOME'],
  ['"\\$HOME"', '$HOME'],
  ["'\\$HOME'", '\\$HOME'],
  ['a\\ b', 'a b'],
  ['a\\tb', 'atb'],
  ['"a\\tb"', 'a\\tb'],
  ['"a\\\\b"', 'a\\b'],
  ['"a\\"b"', 'a"b'],
  ['trailing\\', 'trailing'],
  ['trailing\\\\', 'trailing\\'],
  ['"unterminated', /looking for matching double-quote/],
  ["'unterminated", /looking for matching single-quote/],
  ['안녕$KOREAN', '안녕한국어'],
  ['안\'녕\'하세요', '안녕하세요'],
  ['x << EOF', 'x << EOF'],
  ['a<b', 'a<b'],
];

for (const [input, want] of words) {
  test(`expandString ${JSON.stringify(input)}`, () => {
    if (typeof want === 'string') {
      assert.equal(expandString(input, env).value, want);
    } else {
      assert.throws(() => expandString(input, env), (err: Error) => {
        assert.match(err.message, want);
        assert.ok(err.message.startsWith('failed to process "'), err.message);
        return true;
      });
    }
  });
}

test('expandString errors quote the input as BuildKit does', () => {
  assert.throws(() => expandString('${X:?required}', {}), { message: 'failed to process "${X:?required}": X: required' });
});

test('expandString reports the variables it read, set and unset, in first-use order', () => {
  const r = expandString('$HOME ${UNSET:-$EMPTY} ${HOME} $OTHER', env);
  assert.deepEqual(r.used, ['HOME', 'EMPTY']);
  assert.deepEqual(r.unset, ['UNSET', 'OTHER']);
});

test('expandString accepts a record or a lookup function as the environment', () => {
  assert.equal(expandString('$A-$B', { A: '1', B: '2' }).value, '1-2');
  assert.equal(expandString('$A', (n) => (n === 'A' ? 'fn' : undefined)).value, 'fn');
  // Inherited object properties are not variables.
  assert.equal(expandString('${constructor}', {}).value, '');
});

test('with the backtick escape, a backslash is an ordinary character', () => {
  const opts = { escapeToken: '`' };
  assert.equal(expandString('C:\\app\\$HOME', env, opts).value, 'C:\\app\\/home/user');
  assert.equal(expandString('`$HOME', env, opts).value, '$HOME');
  assert.equal(expandString('"a`"b"', env, opts).value, 'a"b');
});

test('heredoc bodies keep their quotes (skipProcessQuotes)', () => {
  assert.equal(expandString('echo "$HOME" \'$HOME\'', env, { skipProcessQuotes: true }).value, 'echo "/home/user" \'/home/user\'');
});

test('skipUnsetEnv keeps references to unset variables as written', () => {
  const o = { skipUnsetEnv: true, rawQuotes: true };
  assert.equal(expandString('$HOME $NOPE ${NOPE} ${NOPE:-x} "q"', env, o).value, '/home/user $NOPE ${NOPE} ${NOPE:-x} "q"');
});

const splits: [string, string[] | RegExp][] = [
  ['hello', ['hello']],
  ['hello there', ['hello', 'there']],
  ['  spaced   out  ', ['spaced', 'out']],
  ['hello\\ there', ['hello there']],
  ['"hello there"', ['hello there']],
  ["'a b' c", ['a b', 'c']],
  ['x$SPACED', ['xa', 'b']],
  ['x"$SPACED"', ['xa  b']],
  ['$LEADING!', ['x', 'y!']],
  ['"$LEADING"', ['  x y']],
  ['""', []],
  ['a "" b', ['a', 'b']],
  ['80 443/udp ${UNSET:-8080}', ['80', '443/udp', '8080']],
  // BuildKit's lexer shares one word buffer with nested ${…} scans, dropping what came before.
  ['pre${UNSET:-mid}post', ['midpost']],
  ['a "b', /looking for matching double-quote/],
];

for (const [input, want] of splits) {
  test(`expandWords ${JSON.stringify(input)}`, () => {
    if (Array.isArray(want)) assert.deepEqual(expandWords(input, env).words, want);
    else assert.throws(() => expandWords(input, env), want);
  });
}
