export * from './engine.ts';
export * from './image-removal.ts';
export * from './config-changes.ts';
export * from './disk-usage.ts';
export * from './store-check.ts';
export * from './layer-store.ts';
export * from './containers.ts';
