import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, flagWords, parseFlags } from '../../../src/cli/flags.ts';
import type { CommandSpec } from '../../../src/cli/spec.ts';

const images: CommandSpec = {
  paths: [['images']],
  usage: '[OPTIONS]',
  description: 'List images',
  options: [
    { long: 'all', short: 'a', type: 'bool', description: '' },
    { long: 'quiet', short: 'q', type: 'bool', description: '' },
    { long: 'format', short: 'f', type: 'string', description: '' },
    { long: 'filter', type: 'list', description: '' },
    { long: 'last', short: 'n', type: 'int', description: '', default: -1 },
    { long: 'pull', type: 'string', description: '', default: 'missing' },
  ],
  load: () => Promise.reject(new Error('not used')),
};
const run: CommandSpec = { ...images, passThrough: true, options: [...images.options, { long: 'env', short: 'e', type: 'list', description: '' }, { long: 'interactive', short: 'i', type: 'bool', description: '' }, { long: 'tty', short: 't', type: 'bool', description: '' }] };

function flagError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FlagError, String(err));
    return err.message;
  }
  assert.fail('no error');
}

test('defaults when no flag is given', () => {
  assert.deepEqual(parseFlags(images, []), { args: [], options: { all: false, quiet: false, format: undefined, filter: [], last: -1, pull: 'missing' } });
});

test('long and short flags, with values separate, inline and attached', () => {
  for (const words of [['--format', 'x'], ['--format=x'], ['-f', 'x'], ['-fx'], ['-f=x']]) {
    assert.equal(parseFlags(images, words).options['format'], 'x', words.join(' '));
  }
  assert.equal(parseFlags(images, ['-f', '-1']).options['format'], '-1', 'a value may start with a dash');
  assert.equal(parseFlags(images, ['--format', '']).options['format'], '');
});

test('combined short flags, the last one taking a value', () => {
  const { options } = parseFlags(images, ['-aqf', '{{.ID}}']);
  assert.equal(options['all'], true);
  assert.equal(options['quiet'], true);
  assert.equal(options['format'], '{{.ID}}');
});

test('booleans take =true/=false in Go ParseBool spellings, the last one winning', () => {
  assert.equal(parseFlags(images, ['--all=false']).options['all'], false);
  assert.equal(parseFlags(images, ['-a', '--all=0']).options['all'], false);
  assert.equal(parseFlags(images, ['--all=F', '-a']).options['all'], true);
  assert.equal(parseFlags(images, ['-a=false']).options['all'], false);
  assert.equal(parseFlags(images, ['-a=True']).options['all'], true);
  assert.match(flagError(() => parseFlags(images, ['--all=yes'])), /^invalid argument "yes" for "-a, --all" flag: strconv.ParseBool: parsing "yes": invalid syntax$/);
});

test('list flags collect every occurrence; strings keep the last', () => {
  const { options } = parseFlags(images, ['--filter', 'a=1', '--filter=b=2', '-f', 'one', '--format', 'two']);
  assert.deepEqual(options['filter'], ['a=1', 'b=2']);
  assert.equal(options['format'], 'two');
});

test('ints parse as Go ParseInt does, or fail naming the flag', () => {
  assert.equal(parseFlags(images, ['-n', '3']).options['last'], 3);
  assert.equal(parseFlags(images, ['--last=-2']).options['last'], -2);
  assert.equal(flagError(() => parseFlags(images, ['-n', 'three'])), 'invalid argument "three" for "-n, --last" flag: strconv.ParseInt: parsing "three": invalid syntax');
  assert.match(flagError(() => parseFlags(images, ['-n', ''])), /ParseInt/);
});

test('unknown and incomplete flags are named as pflag names them', () => {
  assert.equal(flagError(() => parseFlags(images, ['--bogus'])), 'unknown flag: --bogus');
  assert.equal(flagError(() => parseFlags(images, ['--bogus=1'])), 'unknown flag: --bogus');
  assert.equal(flagError(() => parseFlags(images, ['-z'])), "unknown shorthand flag: 'z' in -z");
  assert.equal(flagError(() => parseFlags(images, ['-az'])), "unknown shorthand flag: 'z' in -z");
  assert.equal(flagError(() => parseFlags(images, ['-za'])), "unknown shorthand flag: 'z' in -za");
  assert.equal(flagError(() => parseFlags(images, ['--format'])), 'flag needs an argument: --format');
  assert.equal(flagError(() => parseFlags(images, ['-f'])), "flag needs an argument: 'f' in -f");
  assert.equal(flagError(() => parseFlags(images, ['--no-all'])), 'unknown flag: --no-all', 'pflag has no --no-x negation');
});

test('arguments may come between flags, and -- ends the flags', () => {
  assert.deepEqual(parseFlags(images, ['a', '-q', 'b', '--', '-a', '--x']), {
    args: ['a', 'b', '-a', '--x'],
    options: { all: false, quiet: true, format: undefined, filter: [], last: -1, pull: 'missing' },
  });
  assert.deepEqual(parseFlags(images, ['-']).args, ['-']);
});

test('pass-through commands stop reading flags at the first argument', () => {
  const parsed = parseFlags(run, ['-it', '-e', 'A=1', 'busybox', 'ls', '-la', '--bogus', '--', 'x']);
  assert.deepEqual(parsed.args, ['busybox', 'ls', '-la', '--bogus', '--', 'x']);
  assert.equal(parsed.options['interactive'], true);
  assert.equal(parsed.options['tty'], true);
  assert.deepEqual(parsed.options['env'], ['A=1']);
  assert.equal(flagWords(run, ['-e', 'A', 'img', '--help']), 2);
  assert.equal(flagWords(run, ['-i', '--', 'img']), 1);
  assert.equal(flagWords(run, ['-i']), 1);
});
