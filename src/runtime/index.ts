/**
 * runtime/: OCI runtime bundles from docker's run options, process control through runc,
 * and the per-container supervisor. Plain values in and out: a rootfs directory, a bundle
 * directory, an image config, run options; nothing about images, snapshots or records.
 *
 * Typical use by containers/:
 *   const host = probeHost();
 *   const runtime = OciRuntime.locate({ root: `${root}/runtime/runc`, runtime: flags.runtime });
 *   const bundle = createBundle({ bundleDir: dir, rootfs, image: config.config, options, host });
 *   const started = await startContainer({ runtime, id, bundleDir: dir, containerDir: dir,
 *     shim: ensureShim(`${root}/runtime`), tty, stdin, detach,
 *     oomFile: oomCounterFile(host, bundle.spec.linux.cgroupsPath!) });
 *   const { exitCode } = await started.wait();          // foreground
 *   const truth = await reconcile(dir, id, runtime);     // any time, e.g. for `ps`
 */
export * from './bundle.ts';
export * from './capabilities.ts';
export * from './command.ts';
export * from './container-state.ts';
export * from './env.ts';
export * from './etc-files.ts';
export * from './exec.ts';
export * from './host-info.ts';
export type * from './image-config.ts';
export * from './logs.ts';
export * from './mount-parse.ts';
export * from './read-only-binds.ts';
export * from './resources.ts';
export * from './rootfs-path.ts';
export * from './runc.ts';
export * from './runc-check.ts';
export type * from './run-options.ts';
export * from './runtime-errors.ts';
export * from './seccomp.ts';
export * from './security-opts.ts';
export * from './shim-path.ts';
export * from './signals.ts';
export * from './spec.ts';
export * from './spec-defaults.ts';
export type * from './spec-types.ts';
export * from './supervisor.ts';
export * from './units.ts';
export * from './user.ts';
