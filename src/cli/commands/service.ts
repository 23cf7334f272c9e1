/** `strata system service`: runs the Engine API service (api/) on this store until stopped. */
import { invalidArgument } from '../../errdefs/index.ts';
import type { CliContext } from '../context.ts';
import type { Options } from '../spec.ts';

export async function service(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  const { DEFAULT_SOCKET, parseListenAddress } = await import('../../api/listeners.ts');
  const hosts = (options['host'] as string[] | undefined) ?? [];
  const addresses = (hosts.length === 0 ? [`unix://${DEFAULT_SOCKET}`] : hosts).map(parseListenAddress);
  const timeout = options['timeout'] as number | undefined ?? 0;
  if (!Number.isInteger(timeout) || timeout < 0) throw invalidArgument(`invalid --timeout ${timeout}: a number of seconds, 0 for never`);
  const { tlsMode } = await import('../../api/tls.ts');
  const tls = tlsMode({
    tls: options['tls'] === true,
    tlsverify: options['tlsverify'] === true,
    tlscacert: options['tlscacert'] as string | undefined,
    tlscert: options['tlscert'] as string | undefined,
    tlskey: options['tlskey'] as string | undefined,
  });
  const engine = await ctx.engine();
  const { runService } = await import('../../api/service.ts');
  // SIGINT and SIGTERM end the service: its sockets are removed, the store closed.
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await runService(engine, { addresses, tls, idleTimeoutSeconds: timeout, log: (line) => ctx.warn(line), signal: stop.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
