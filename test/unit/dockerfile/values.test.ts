// Flag and argument values the solver interprets: --chmod, EXPOSE ports, STOPSIGNAL, mount
// sizes, and the Go formatting the history depends on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChmod, parseExposedPorts, parseSignal, ramInBytes, parseRunDevice } from '../../../src/builder/dockerfile/index.ts';
import { formatGoDuration, goQuoteSlice, parseGoDuration } from '../../../src/builder/dockerfile/go-format.ts';
import { expandString } from '../../../src/builder/dockerfile/index.ts';
import { isStrataError } from '../../../src/errdefs/index.ts';

test('value helpers throw invalid-argument StrataErrors', () => {
  for (const fn of [() => parseChmod('u'), () => parseExposedPorts(['x']), () => parseSignal('NOPE'), () => expandString('${X?}', {})]) {
    assert.throws(fn, (err: unknown) => isStrataError(err, 'invalid-argument'));
  }
});

function applyChmod(spec: string, mode: number, isDir = false): number {
  const c = parseChmod(spec);
  return c.kind === 'octal' ? c.mode : c.apply(mode, isDir);
}

test('--chmod octal', () => {
  assert.deepEqual(parseChmod('755'), { kind: 'octal', mode: 0o755 });
  assert.deepEqual(parseChmod('0644'), { kind: 'octal', mode: 0o644 });
  assert.deepEqual(parseChmod('7777'), { kind: 'octal', mode: 0o7777 });
});

const symbolic: [string, number, boolean, number][] = [
  ['u+x', 0o644, false, 0o744],
  ['go-w', 0o666, false, 0o644],
  ['+x', 0o644, false, 0o755],
  ['a=rX', 0o644, false, 0o444],
  ['a=rX', 0o700, true, 0o555],
  ['a=rX', 0o744, false, 0o555],
  ['u=rwx,go=u-w', 0o000, false, 0o755],
  ['go=', 0o777, false, 0o700],
  ['u+r-w', 0o200, false, 0o400],
  ['g=u', 0o740, false, 0o770],
  ['o=g', 0o750, false, 0o755],
  ['u+s', 0o755, false, 0o4755],
  ['g+s', 0o755, true, 0o2755],
  ['+t', 0o777, true, 0o1777],
  ['o+t', 0o777, true, 0o777],
  ['=', 0o755, false, 0o000],
  ['a-rwx,u+rw', 0o777, false, 0o600],
  ['ug+rw,o-rwx', 0o604, false, 0o660],
];

for (const [spec, from, isDir, want] of symbolic) {
  test(`--chmod ${spec} on ${from.toString(8)}${isDir ? ' (dir)' : ''}`, () => {
    assert.equal(applyChmod(spec, from, isDir).toString(8), want.toString(8));
  });
}

test('--chmod keeps the file type bits outside 07777', () => {
  const c = parseChmod('go-w');
  assert.ok(c.kind === 'symbolic');
  assert.equal(c.apply(0o100666, false), 0o100644);
});

test('--chmod errors as BuildKit words them', () => {
  const octal = (v: string): string => `invalid chmod parameter: '${v}'. it should be octal string and between 0 and 07777`;
  assert.throws(() => parseChmod('10000'), { message: octal('10000') });
  assert.throws(() => parseChmod('0778'), { message: octal('0778') });
  assert.throws(() => parseChmod('9'), { message: octal('9') });
  for (const bad of ['u', 'x+r', 'u+z', '', 'rwx', 'u+x,']) assert.throws(() => parseChmod(bad), { message: 'invalid syntax' }, bad);
});

test('EXPOSE ports become port/proto keys', () => {
  assert.deepEqual(parseExposedPorts(['80', '53/udp', '8000-8002', '9000/TCP', '443/sctp']), ['80/tcp', '53/udp', '8000/tcp', '8001/tcp', '8002/tcp', '9000/tcp', '443/sctp']);
  assert.deepEqual(parseExposedPorts(['127.0.0.1:8080:80', '[::1]:8080:80/udp', '8080:80']), ['80/tcp', '80/udp', '80/tcp']);
  assert.deepEqual(parseExposedPorts(['80-80']), ['80/tcp']);
});

test('EXPOSE errors', () => {
  assert.throws(() => parseExposedPorts(['abc']), { message: 'invalid containerPort: abc' });
  assert.throws(() => parseExposedPorts(['80/xyz']), { message: 'invalid port: "80/xyz": invalid proto: xyz' });
  assert.throws(() => parseExposedPorts(['/tcp']), { message: 'invalid port: "/tcp": no port specified' });
  assert.throws(() => parseExposedPorts(['99999']), { message: 'invalid containerPort: 99999' });
  assert.throws(() => parseExposedPorts(['9-1']), { message: 'invalid containerPort: 9-1' });
  assert.throws(() => parseExposedPorts(['1.2.3:80:80']), { message: 'invalid IP address: 1.2.3' });
  assert.throws(() => parseExposedPorts(['x:80']), { message: 'invalid hostPort: x' });
  assert.throws(() => parseExposedPorts(['1000-1002:80-81']), { message: 'invalid ranges specified for container and host Ports: 80-81 and 1000-1002' });
});

test('STOPSIGNAL values', () => {
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal('term'), 15);
  assert.equal(parseSignal('SigKill'), 9);
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal('RTMIN+3'), 37);
  assert.equal(parseSignal('SIGRTMAX-1'), 63);
  assert.throws(() => parseSignal('0'), { message: 'invalid signal: 0' });
  assert.throws(() => parseSignal('SIGFOO'), { message: 'invalid signal: SIGFOO' });
  assert.throws(() => parseSignal('constructor'), { message: 'invalid signal: constructor' });
});

test('tmpfs sizes (binary units, as docker/go-units RAMInBytes)', () => {
  assert.equal(ramInBytes('64m'), 64 * 1024 * 1024);
  assert.equal(ramInBytes('1g'), 1024 ** 3);
  assert.equal(ramInBytes('512KiB'), 512 * 1024);
  assert.equal(ramInBytes('1.5 GB'), 1.5 * 1024 ** 3);
  assert.equal(ramInBytes('100'), 100);
  assert.equal(ramInBytes('100b'), 100);
  for (const bad of ['big', '', '1x', '1kbb', '-1k', '1 kbx']) assert.equal(ramInBytes(bad), undefined, bad);
});

test('RUN --device values', () => {
  assert.deepEqual(parseRunDevice('vendor.com/gpu=all'), { name: 'vendor.com/gpu=all', required: false });
  assert.deepEqual(parseRunDevice('name=vendor.com/gpu=0,required=true'), { name: 'vendor.com/gpu=0', required: true });
  assert.throws(() => parseRunDevice('a,b'), { message: "invalid field 'b' must be a key=value pair" });
});

test('Go durations: parse and format as time.Duration does', () => {
  assert.equal(parseGoDuration('1h2m3.5s'), 3_723_500_000_000n);
  assert.equal(parseGoDuration('-1.5h'), -5_400_000_000_000n);
  assert.equal(parseGoDuration('300ms'), 300_000_000n);
  assert.equal(parseGoDuration('2us'), 2000n);
  assert.equal(parseGoDuration('2µs'), 2000n);
  assert.equal(parseGoDuration('0'), 0n);
  assert.equal(parseGoDuration('.5s'), 500_000_000n);
  assert.throws(() => parseGoDuration(''), { message: 'time: invalid duration ""' });
  assert.throws(() => parseGoDuration('.s'), { message: 'time: invalid duration ".s"' });
  assert.throws(() => parseGoDuration('1'), { message: 'time: missing unit in duration "1"' });
  for (const [ns, s] of [[0n, '0s'], [1n, '1ns'], [1500n, '1.5µs'], [1_500_000_000n, '1.5s'], [90_000_000_000n, '1m30s'], [3_600_000_000_000n, '1h0m0s'], [300_000_000n, '300ms'], [-2_000_000_000n, '-2s']] as const) {
    assert.equal(formatGoDuration(ns), s);
  }
});

test('Go quoting of string slices (BuildKit\'s %q of CMD and ENTRYPOINT)', () => {
  assert.equal(goQuoteSlice([]), '[]');
  assert.equal(goQuoteSlice(['plain', 'a"b\\c\n\t\u0007\u007f']), '["plain" "a\\"b\\\\c\\n\\t\\a\\x7f"]');
  assert.equal(goQuoteSlice(['日本 \u200b \u{1f600}']), '["日本 \\u200b 😀"]');
  // A lone surrogate is written out as U+FFFD, which Go's %q leaves as it is (printable).
  assert.equal(goQuoteSlice(['a\ud800b']), '["a\ufffdb"]');
});
