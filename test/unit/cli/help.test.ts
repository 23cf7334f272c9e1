import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandTable } from '../../../src/cli/program.ts';
import { COMMANDS, GROUPS } from '../../../src/cli/command-table.ts';

test('listings show each command on one line (the first line of a longer description), as cobra shows Short', () => {
  const table = new CommandTable(COMMANDS, GROUPS);
  const top = table.parse(['--help']);
  assert.equal(top.kind, 'help');
  const text = top.kind === 'help' ? top.text : '';
  assert.match(text, /\n {2}login {7}Authenticate to a registry\n {2}logout {6}Log out from a registry\n/);
  const listed = text.slice(text.indexOf('\nCommands:') + 1, text.indexOf('Global Options:')).split('\n').filter((l) => l !== '');
  for (const line of listed.slice(1)) assert.match(line, /^ {2}\S/, `a continuation line in the listing: ${JSON.stringify(line)}`);
  const login = table.parse(['login', '--help']);
  assert.match(login.kind === 'help' ? login.text : '', /Authenticate to a registry\.\nDefaults to Docker Hub if no server is specified\./);
});
