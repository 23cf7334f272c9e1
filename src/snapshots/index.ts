export * from './layers.ts';
export * from './snapshotter.ts';
