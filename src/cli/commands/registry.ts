/**
 * `pull`, `push`, `login`, `logout` and `manifest inspect`, with docker's output: progress
 * lines redrawn in place on a terminal (docker's jsonmessage rules: one line per layer,
 * cursor moved up to update it, a bar when the terminal is wider than 110 columns), plain
 * status lines otherwise (byte counts are not printed to pipes and files).
 */
import { invalidArgument, StrataError } from '../../errdefs/index.ts';
import { familiarString, formatReference, parsePlatform, parseReference, withDefaultTag, type Reference } from '../../oci/index.ts';
import type { ProgressEvent, Registries } from '../../registry/index.ts';
import { humanSize4 } from '../format/index.ts';
import type { CliContext } from '../context.ts';
import type { Options } from '../spec.ts';

/** docker's JSONProgress.String(): `[=====>     ]  12.3MB/45.6MB`. */
export function progressText(current: number | undefined, total: number | undefined, width: number): string {
  const cur = current ?? 0;
  const tot = total ?? 0;
  if (cur <= 0 && tot <= 0) return '';
  if (tot <= 0) return humanSize4(cur).padStart(8);
  const percentage = Math.min(50, Math.trunc(Math.trunc((cur / tot) * 100) / 2));
  const bar = width > 110 ? `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] ` : '';
  const numbers = cur > tot ? humanSize4(cur).padStart(8) : `${humanSize4(cur).padStart(8)}/${humanSize4(tot)}`;
  return bar + numbers;
}

/** Renders progress events as docker's CLI does. */
export class ProgressPrinter {
  private readonly lines = new Map<string, number>();

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly terminal: boolean,
    private readonly width: () => number,
  ) {}

  handle(event: ProgressEvent): void {
    if (event.type === 'message') {
      // A line that is not a layer's ends the block of layer lines.
      this.lines.clear();
      this.out.write(`${event.id !== undefined ? `${event.id}: ` : ''}${event.text}\n`);
      return;
    }
    const progress = progressText(event.current, event.total, this.width());
    if (!this.terminal) {
      if (progress === '') this.out.write(`${event.id}: ${event.action}\n`);
      return;
    }
    let line = this.lines.get(event.id);
    if (line === undefined) {
      line = this.lines.size;
      this.lines.set(event.id, line);
      this.out.write('\n');
    }
    const diff = this.lines.size - line;
    this.out.write(`\x1b[${diff}A\x1b[2K\r${event.id}: ${event.action} ${progress}\r\x1b[${diff}B`);
  }
}

function printerFor(ctx: CliContext, quiet: boolean): ((e: ProgressEvent) => void) | undefined {
  if (quiet) return undefined;
  const stdout = ctx.stdout;
  const printer = new ProgressPrinter(stdout, stdout.isTTY === true, () => stdout.columns ?? 80);
  return (e) => printer.handle(e);
}

async function openRegistriesFor(insecureHost?: string): Promise<{ registries: Registries; close: () => Promise<void> }> {
  const { openRegistries, loadRegistrySettings } = await import('../../registry/index.ts');
  const settings = loadRegistrySettings();
  if (insecureHost !== undefined) settings.insecureRegistries.push(insecureHost);
  const registries = openRegistries({ settings });
  return { registries, close: () => registries.close() };
}

function positiveInt(value: unknown, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw invalidArgument(`invalid value ${String(value)} for --${flag}: must be a positive integer`);
  return n;
}

/** Parses NAME[:TAG|@DIGEST] the way docker's pull and push do, with `Using default tag`. */
function namedReference(ctx: CliContext, text: string, all: boolean, quiet: boolean): Reference {
  const ref = parseReference(text);
  const nameOnly = ref.tag === undefined && ref.digest === undefined;
  if (all && !nameOnly) throw invalidArgument("tag can't be used with --all-tags/-a");
  if (!all && nameOnly) {
    if (!quiet) ctx.println('Using default tag: latest');
    return withDefaultTag(ref);
  }
  return ref;
}

export async function pull(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const quiet = Boolean(options['quiet']);
  const all = Boolean(options['all-tags']);
  const ref = namedReference(ctx, args[0] as string, all, quiet);
  const platform = options['platform'] ? parsePlatform(options['platform'] as string) : undefined;
  const maxConcurrentDownloads = positiveInt(options['max-concurrent-downloads'], 'max-concurrent-downloads', 3);
  const engine = await ctx.engine();
  const { pullImage } = await import('../../registry/index.ts');
  const { registries, close } = await openRegistriesFor();
  const onProgress = printerFor(ctx, quiet);
  // Ctrl-C cancels the transfer cleanly: partial blobs removed, the lease released.
  const signal = ctx.interruptSignal();
  try {
    const result = await pullImage(engine, ref, {
      registries, allTags: all, maxConcurrentDownloads, signal,
      ...(platform ? { platform } : {}), ...(onProgress ? { onProgress } : {}),
    });
    for (const image of result.images) engine.events.append('image', 'pull', familiarString(image.reference), { name: familiarString(image.reference) });
  } finally {
    await close();
  }
  ctx.println(formatReference(ref));
}

export async function push(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const quiet = Boolean(options['quiet']);
  const all = Boolean(options['all-tags']);
  const ref = namedReference(ctx, args[0] as string, all, quiet);
  const maxConcurrentUploads = positiveInt(options['max-concurrent-uploads'], 'max-concurrent-uploads', 5);
  const engine = await ctx.engine();
  const { pushImage } = await import('../../registry/index.ts');
  const { registries, close } = await openRegistriesFor();
  const onProgress = printerFor(ctx, quiet);
  const signal = ctx.interruptSignal();
  try {
    await pushImage(engine, ref, { registries, allTags: all, maxConcurrentUploads, signal, ...(onProgress ? { onProgress } : {}) });
    engine.events.append('image', 'push', formatReference(ref), { name: familiarString(ref) });
  } finally {
    await close();
  }
  if (quiet) ctx.println(formatReference(ref));
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a line from the terminal; with `hidden`, without echoing it. */
async function prompt(ctx: CliContext, question: string, hidden: boolean): Promise<string> {
  ctx.stderr.write(question);
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = stdin.isRaw;
    if (hidden) stdin.setRawMode(true);
    stdin.resume();
    const onData = (data: Buffer): void => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new StrataError('canceled', 'login canceled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const finish = (): void => {
      stdin.removeListener('data', onData);
      if (hidden) {
        stdin.setRawMode(wasRaw);
        ctx.stderr.write('\n');
      }
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}

export async function login(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const { DockerConfig, serverAddressKey } = await import('../../registry/index.ts');
  const { login: doLogin, verifyCredentials } = await import('../../registry/login.ts');
  let username = (options['username'] as string | undefined) ?? '';
  let password = (options['password'] as string | undefined) ?? '';
  let passwordStdin = Boolean(options['password-stdin']);
  const usernameGiven = options['username'] !== undefined;
  if (passwordStdin || password === '-') {
    if (options['password'] !== undefined && password !== '-') throw invalidArgument('conflicting options: cannot specify both --password and --password-stdin');
    if (!usernameGiven) throw invalidArgument('the --password-stdin option requires --username to be set');
  }
  if (usernameGiven && username === '') throw invalidArgument('username is empty');
  if (options['password'] !== undefined && password === '') throw invalidArgument('password is empty');
  if (password === '-') {
    password = '';
    passwordStdin = true;
  }
  if (password !== '') ctx.warn('WARNING! Using --password via the CLI is insecure. Use --password-stdin.');
  if (passwordStdin) {
    password = (await readAllStdin()).replace(/(\r\n|\n|\r)$/, '');
    if (password.trim() === '') throw invalidArgument('password is empty');
  }
  const serverKey = serverAddressKey(args[0]);
  const config = new DockerConfig();
  const { registries, close } = await openRegistriesFor();
  try {
    if (username === '' && password === '') {
      const stored = await config.get(serverKey);
      if (stored && (stored.password !== '' || stored.identityToken)) {
        ctx.warn(`Authenticating with existing credentials...${stored.username ? ` [Username: ${stored.username}]` : ''}`);
        try {
          await verifyCredentials(registries, serverKey, stored);
          ctx.println('Login Succeeded');
          return;
        } catch (err) {
          if (!(err instanceof StrataError) || err.code !== 'permission-denied') throw err;
          ctx.warn('Stored credentials invalid or expired');
        }
      }
    }
    if (username === '' || password === '') {
      if (!process.stdin.isTTY) throw invalidArgument('error: cannot perform an interactive login from a non-TTY device');
      if (username === '') username = (await prompt(ctx, 'Username: ', false)).trim();
      if (username === '') throw invalidArgument('username is empty');
      if (password === '') password = await prompt(ctx, 'Password: ', true);
      if (password === '') throw invalidArgument('password is empty');
    }
    const result = await doLogin(registries, config, serverKey, { username, password });
    if (result.plainTextFile !== undefined) {
      ctx.warn(`\nWARNING! Your credentials are stored unencrypted in '${result.plainTextFile}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n`);
    }
    ctx.println('Login Succeeded');
  } finally {
    await close();
  }
}

export async function logout(ctx: CliContext, args: string[]): Promise<void> {
  const { DockerConfig, serverAddressKey, DOCKER_HUB_AUTH_KEY } = await import('../../registry/index.ts');
  const { logout: doLogout } = await import('../../registry/login.ts');
  const serverKey = serverAddressKey(args[0]);
  const shown = serverKey === DOCKER_HUB_AUTH_KEY ? serverKey : serverKey.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  ctx.println(`Removing login credentials for ${shown}`);
  try {
    await doLogout(new DockerConfig(), serverKey);
  } catch (err) {
    if (!(err instanceof StrataError)) throw err;
    ctx.warn(`WARNING: could not erase credentials:\n${serverKey}: ${err.message}`);
  }
}

export async function manifestInspect(ctx: CliContext, args: string[], options: Options): Promise<void> {
  if (args.length > 1) {
    throw new StrataError('unimplemented', 'inspecting a manifest inside a local manifest list is not supported', { hint: 'pass the manifest or list reference alone' });
  }
  const reference = args[0] as string;
  const ref = parseReference(reference);
  const { inspectRemoteManifest } = await import('../../registry/manifest-inspect.ts');
  const { registries, close } = await openRegistriesFor(options['insecure'] ? ref.domain : undefined);
  try {
    ctx.println(await inspectRemoteManifest(registries, reference, { verbose: Boolean(options['verbose']) }));
  } finally {
    await close();
  }
}
