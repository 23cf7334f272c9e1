export * from './engine.ts';
export * from './disk-usage.ts';
export * from './store-check.ts';
export * from './image-mount.ts';
export * from './snapshot-sweep.ts';
export * from './event-journal.ts';
export * from './event-stream.ts';
