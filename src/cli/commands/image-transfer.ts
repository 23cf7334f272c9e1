/** `load`, `save` and `import`: images in and out of tarballs. */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { READ_CHUNK } from '../../content/index.ts';
import { invalidArgument, notFound } from '../../errdefs/index.ts';
import { checkOutputFile, writeOutputFile, writeToStream } from '../../internal/index.ts';
import { familiarString, parsePlatform, parseReference, withDefaultTag } from '../../oci/index.ts';
import type { CliContext } from '../context.ts';
import { stoppable } from '../interrupt.ts';
import type { Options } from '../spec.ts';

function openInput(path: string): Readable {
  if (!existsSync(path)) throw notFound(`open ${path}: no such file or directory`);
  if (statSync(path).isDirectory()) throw invalidArgument(`read ${path}: is a directory`);
  return createReadStream(path, { highWaterMark: READ_CHUNK });
}

export async function load(ctx: CliContext, _args: string[], options: Options): Promise<void> {
  const input = options['input'] as string | undefined;
  if (!input && process.stdin.isTTY) {
    throw invalidArgument('requested load from stdin, but stdin is empty');
  }
  const source = input ? openInput(input) : process.stdin;
  const engine = await ctx.engine();
  const platform = options['platform'] ? parsePlatform(options['platform'] as string) : undefined;
  const result = await (await engine.archiveLoader()).load({
    source,
    sourceName: input ?? 'stdin',
    ...(platform ? { platform } : {}),
    signal: ctx.interruptSignal(),
  });
  // -q hides progress only; docker prints the Loaded lines either way.
  for (const line of result.lines) {
    ctx.println(line);
    const loaded = /^Loaded image(?: ID)?: (.*)$/.exec(line)?.[1];
    if (loaded !== undefined) engine.events.append('image', 'load', loaded, { name: loaded });
  }
}

export async function save(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const outputPath = options['output'] as string | undefined;
  if (!outputPath && process.stdout.isTTY) {
    throw invalidArgument('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  }
  // As docker, a bad output path is refused before anything else is looked at.
  if (outputPath) checkOutputFile(outputPath, 'failed to save image');
  const engine = await ctx.engine();
  const { saveImages } = await import('../../archive/index.ts');
  // Resolve every name before writing a byte, so a typo leaves no partial file behind.
  const ids = args.map((ref) => engine.images.resolve(ref));
  // Ctrl-C stops the writing: a file named by -o is then removed, never left half-written.
  const save = stoppable(ctx.interruptSignal(), (output: Writable): Promise<void> => saveImages(engine.images, { refs: args, output, layerTar: (layer) => engine.layerTar(layer) }));
  if (outputPath) await writeOutputFile(outputPath, 'failed to save image', save);
  else await writeToStream(ctx.stdout, '/dev/stdout', save);
  for (const id of ids) engine.events.append('image', 'save', id);
}

export async function importImage(ctx: CliContext, args: string[], options: Options): Promise<void> {
  const [sourceArg, repository] = args as [string, string | undefined];
  const tag = repository ? withDefaultTag(parseReference(repository)) : undefined;
  const signal = ctx.interruptSignal();
  let source: Readable;
  let sourceName = sourceArg;
  if (sourceArg === '-') {
    source = process.stdin;
    sourceName = 'stdin';
  } else if (/^https?:\/\//.test(sourceArg)) {
    const response = await fetch(sourceArg, { signal }).catch((err: Error) => {
      throw invalidArgument(`${sourceArg}: ${err.message}`);
    });
    if (!response.ok || !response.body) throw invalidArgument(`${sourceArg}: HTTP ${response.status} ${response.statusText}`);
    source = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  } else {
    source = openInput(sourceArg);
  }
  const changes = (options['change'] as string[] | undefined) ?? [];
  const engine = await ctx.engine();
  const { importTarball } = await import('../../archive/index.ts');
  const { configChanges } = await import('../../builder/config-changes.ts');
  const applyChanges = changes.length > 0 ? configChanges(changes) : undefined;
  const platform = options['platform'] ? parsePlatform(options['platform'] as string) : undefined;
  const id = await importTarball(engine.images, engine.content, engine.gc, {
    source,
    sourceName,
    ...(tag ? { tag } : {}),
    ...(options['message'] ? { message: options['message'] as string } : {}),
    ...(applyChanges ? { applyChanges } : {}),
    ...(platform ? { platform } : {}),
    unpack: engine.unpacker(),
    signal,
  });
  engine.events.append('image', 'import', id, tag ? { name: familiarString(tag) } : {});
  ctx.println(id);
}
