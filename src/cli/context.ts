/**
 * What a command handler gets: the global options, the engine (opened on first use, so
 * `--help` and `version` never touch the store), and the output streams.
 */
import type { Engine } from '../engine/index.ts';
import { cancelOnInterrupt } from './interrupt.ts';

export interface GlobalOptions {
  root: string;
  storageDriver?: string | undefined;
  debug: boolean;
}

export class CliContext {
  private opened: Engine | undefined;

  constructor(
    readonly globals: GlobalOptions,
    /** `strata image ls`: the command as typed, for messages. */
    readonly commandName: string,
    readonly stdout: NodeJS.WriteStream = process.stdout,
    readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {}

  /** Opens the store at the chosen root, once. */
  async engine(): Promise<Engine> {
    if (!this.opened) {
      const { Engine } = await import('../engine/engine.ts');
      this.opened = Engine.open({ root: this.globals.root, ...(this.globals.storageDriver ? { storageDriver: this.globals.storageDriver } : {}) });
    }
    return this.opened;
  }

  /**
   * Fires on the first Ctrl-C or SIGTERM, for a command that then stops and removes what it
   * wrote (interrupt.ts: docker's rules for a second and third one, and the exit status).
   */
  interruptSignal(): AbortSignal {
    return cancelOnInterrupt(this.stderr);
  }

  close(): void {
    this.opened?.close();
    this.opened = undefined;
  }

  /** Writes text to stdout as is. */
  write(text: string): void {
    this.stdout.write(text);
  }

  /** Writes one line to stdout. */
  println(line = ''): void {
    this.stdout.write(`${line}\n`);
  }

  /** Writes one line to stderr. */
  warn(line: string): void {
    this.stderr.write(`${line}\n`);
  }
}
