/** Help text in the shape docker's CLI prints it (`Usage:`, `Aliases:`, `Options:`). */
import type { CommandSpec, GroupSpec, OptionSpec } from './spec.ts';

export const PROGRAM = 'strata';

function flagColumn(o: OptionSpec): string {
  const short = o.short ? `-${o.short}, ` : '    ';
  const value = o.type === 'bool' ? '' : ` ${o.valueName ?? (o.type === 'list' ? 'list' : o.type === 'int' ? 'int' : 'string')}`;
  return `  ${short}--${o.long}${value}`;
}

function describeOption(o: OptionSpec): string {
  let text = o.description;
  if (o.type === 'bool' && o.default === true) text += ' (default true)';
  else if ((o.type === 'string' || o.type === 'int') && o.default !== undefined && o.default !== '') text += ` (default ${typeof o.default === 'string' ? `"${o.default}"` : o.default})`;
  return text;
}

export function optionsTable(options: OptionSpec[]): string {
  const visible = options.filter((o) => !o.hidden);
  visible.push({ long: 'help', type: 'bool', description: 'Print usage' } as OptionSpec);
  const width = Math.max(...visible.map((o) => flagColumn(o).length)) + 3;
  return visible
    .map((o) => {
      const lines = describeOption(o).split('\n');
      return [flagColumn(o).padEnd(width) + lines[0], ...lines.slice(1).map((l) => ' '.repeat(width) + l)].join('\n');
    })
    .join('\n');
}

export function commandName(path: readonly string[]): string {
  return [PROGRAM, ...path].join(' ');
}

export function usageLine(spec: CommandSpec, path: readonly string[]): string {
  return `Usage:  ${commandName(path)} ${spec.usage}`.trimEnd();
}

export function commandHelp(spec: CommandSpec, path: readonly string[]): string {
  const parts = [usageLine(spec, path), '', spec.description];
  if (spec.paths.length > 1) parts.push('', 'Aliases:', `  ${spec.paths.map((p) => commandName(p)).join(', ')}`);
  parts.push('', 'Options:', optionsTable(spec.options));
  return `${parts.join('\n')}\n`;
}

export function groupHelp(group: GroupSpec, children: { name: string; description: string }[]): string {
  const width = Math.max(...children.map((c) => c.name.length)) + 3;
  const lines = children.map((c) => `  ${c.name.padEnd(width)}${c.description}`);
  return `Usage:  ${PROGRAM} ${group.name} COMMAND\n\n${group.description}\n\nCommands:\n${lines.join('\n')}\n\nRun '${PROGRAM} ${group.name} COMMAND --help' for more information on a command.\n`;
}
