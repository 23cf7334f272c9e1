export * from './keys.ts';
export * from './layers.ts';
export * from './snapshotter.ts';
