/**
 * Instruction flags (`COPY --from=build --chown=1:1 …`) parsed as BuildKit's BFlags does:
 * each instruction declares the flags it knows, then the words the line parser collected are
 * checked against them with BuildKit's messages.
 */
import { DetailError, withSuggestion } from './errors.ts';

type FlagType = 'bool' | 'string' | 'strings';

interface Flag {
  type: FlagType;
  value: string;
  values: string[];
}

export class InstructionFlags {
  private readonly defs = new Map<string, Flag>();
  private readonly usedSet = new Set<string>();
  /** The flag word in which the last error was found, to point the column at it. */
  errorFlag: string | undefined;

  constructor(private readonly args: readonly string[]) {}

  bool(name: string): () => boolean {
    const f = this.add(name, 'bool', 'false');
    return () => f.value === 'true';
  }

  string(name: string, def = ''): () => string {
    const f = this.add(name, 'string', def);
    return () => f.value;
  }

  strings(name: string): () => string[] {
    const f = this.add(name, 'strings', '');
    return () => f.values;
  }

  /** Whether the Dockerfile set the flag at all. */
  isUsed(name: string): boolean {
    return this.usedSet.has(name);
  }

  /** The flags the Dockerfile set, in the order first seen. */
  used(): string[] {
    return [...this.usedSet];
  }

  private add(name: string, type: FlagType, value: string): Flag {
    const f: Flag = { type, value, values: [] };
    this.defs.set(name, f);
    return f;
  }

  /** Validates the flag words against the declared flags; throws BuildKit's errors. */
  parse(): void {
    for (const a of this.args) {
      this.errorFlag = a;
      // `--` ends the flags (POSIX utility syntax).
      if (a === '--') return;
      if (!a.startsWith('--')) throw new DetailError(`arg should start with -- : ${a}`);
      const eq = a.indexOf('=');
      const flagName = eq < 0 ? a : a.slice(0, eq);
      const hasValue = eq >= 0;
      const value = hasValue ? a.slice(eq + 1) : '';
      const name = flagName.slice(2);
      const flag = this.defs.get(name);
      if (flag === undefined) {
        throw new DetailError(withSuggestion(`unknown flag: ${flagName}`, name, [...this.defs.keys()], true));
      }
      if (this.usedSet.has(name) && flag.type !== 'strings') {
        throw new DetailError(`duplicate flag specified: ${flagName}`);
      }
      this.usedSet.add(name);
      switch (flag.type) {
        case 'bool':
          if (hasValue && value === '') throw new DetailError(`missing a value on flag: ${flagName}`);
          switch (value.toLowerCase()) {
            case 'true':
            case '':
              flag.value = 'true';
              break;
            case 'false':
              flag.value = 'false';
              break;
            default:
              throw new DetailError(`expecting boolean value for flag ${flagName}, not: ${value}`);
          }
          break;
        case 'string':
          if (!hasValue) throw new DetailError(`missing a value on flag: ${flagName}`);
          flag.value = value;
          break;
        case 'strings':
          if (!hasValue) throw new DetailError(`missing a value on flag: ${flagName}`);
          flag.values.push(value);
          break;
      }
    }
    this.errorFlag = undefined;
  }
}
