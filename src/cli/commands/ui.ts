/**
 * `strata ui`: serves the web app (src/ui/) on this store until Ctrl-C, printing its URL
 * with the token, as Jupyter does.
 */
import { isIP } from 'node:net';
import { invalidArgument, StrataError } from '../../errdefs/index.ts';
import type { CommandHandler } from '../spec.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1']);

export const ui: CommandHandler = async (ctx, _args, options) => {
  const address = options['address'] as string;
  const port = (options['port'] as number | undefined) ?? 0;
  if (isIP(address) === 0) throw invalidArgument(`invalid argument "${address}" for "--address" flag: not an IP address`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidArgument(`invalid argument "${port}" for "--port" flag: a port is 0 to 65535`);
  const engine = await ctx.engine();
  const { findAssetsDir, startUiServer } = await import('../../ui/index.ts');
  const stopped = ctx.interruptSignal();
  let running;
  try {
    running = await startUiServer({ engine, address, port, assetsDir: findAssetsDir() });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StrataError('failed-precondition', `listen tcp ${address}:${port}: bind: address already in use`);
    if (code === 'EADDRNOTAVAIL') throw new StrataError('invalid-argument', `listen tcp ${address}:${port}: bind: cannot assign requested address`);
    throw err;
  }
  if (!LOOPBACK.has(address)) ctx.warn(`WARNING: strata ui listens on ${address}: anyone who can reach it and has the token can read this store`);
  ctx.println(`strata ui is serving the store at ${ctx.globals.root}; open:`);
  ctx.println(`    ${running.url}`);
  ctx.println('Press Ctrl-C to stop.');
  await new Promise<void>((resolve) => stopped.addEventListener('abort', () => resolve(), { once: true }));
  await running.close();
  return 0;
};
