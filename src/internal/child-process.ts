/**
 * node:child_process, loaded on first use. Loading it costs ~4–8 ms of start-up (it brings
 * net, dgram and the stream machinery), and most commands (`images`, `ps`, `inspect`) never
 * start a process; the modules that sometimes do reach it through here.
 */
import { createRequire } from 'node:module';
import type * as ChildProcessModule from 'node:child_process';

let loaded: typeof ChildProcessModule | undefined;

export function childProcess(): typeof ChildProcessModule {
  loaded ??= createRequire(import.meta.url)('node:child_process') as typeof ChildProcessModule;
  return loaded;
}
