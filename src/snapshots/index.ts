export type { Change, ChangeKind } from './changes.ts';
export * from './drivers.ts';
export * from './keys.ts';
export * from './layers.ts';
export * from './out-of-space.ts';
export * from './snapshotter.ts';
