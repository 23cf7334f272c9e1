// A stand-in for the CLI in tests that kill or signal the launching process: reads one JSON
// argument, writes the bundle, starts the container (detached or in the foreground) and
// exits as `strata run` would (foreground: with the container's exit status).
import { createBundle } from '../../../src/runtime/bundle.ts';
import { OciRuntime } from '../../../src/runtime/runc.ts';
import type { RunOptions } from '../../../src/runtime/run-options.ts';
import { startContainer } from '../../../src/runtime/supervisor.ts';
import { ContainerStartError } from '../../../src/runtime/runtime-errors.ts';

interface LaunchArgs {
  id: string;
  rootfs: string;
  containerDir: string;
  runtimeRoot: string;
  shim: string;
  options: Omit<RunOptions, 'id'>;
  detach?: boolean;
  stdin?: boolean;
  exitHook?: string[];
}

const args = JSON.parse(process.argv[2] as string) as LaunchArgs;
createBundle({ bundleDir: args.containerDir, rootfs: args.rootfs, image: { Cmd: ['sh'] }, options: { ...args.options, id: args.id } });
const runtime = OciRuntime.locate({ root: args.runtimeRoot });
try {
  const c = await startContainer({
    runtime, id: args.id, bundleDir: args.containerDir, containerDir: args.containerDir, shim: args.shim,
    detach: args.detach ?? false, tty: args.options.tty ?? false, stdin: args.stdin ?? false,
    ...(args.exitHook ? { exitHook: args.exitHook } : {}),
  });
  process.stderr.write(`started ${c.pid}\n`);
  if (!args.detach) process.exitCode = (await c.wait()).exitCode;
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = err instanceof ContainerStartError ? err.exitStatus : 125;
}
