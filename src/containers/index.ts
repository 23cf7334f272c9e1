/**
 * containers/: container records and lifecycle on runtime/ (specs, runc, the supervisor)
 * and snapshots/ (the init and writable layers): create, start, stop, kill, wait, pause,
 * rm, rename, exec, logs, top, inspect, diff, commit, cp, export, and the volumes they
 * mount. See container-manager.ts for the on-disk layout and the module of each concern.
 */
export * from './commit.ts';
export * from './container.ts';
export * from './container-config.ts';
export * from './container-manager.ts';
export * from './copy.ts';
export * from './create.ts';
export * from './filters.ts';
export * from './init-layer.ts';
export * from './inspect.ts';
export * from './lifecycle.ts';
export * from './mount-plan.ts';
export * from './names.ts';
export * from './network-json.ts';
export * from './network-view.ts';
export * from './rootfs.ts';
export * from './state.ts';
export * from './status-reader.ts';
export * from './time-text.ts';
export * from './trace.ts';
export * from './tree-size.ts';
export * from './volumes.ts';
export * from './path-stat.ts';
