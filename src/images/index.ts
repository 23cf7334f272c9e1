export * from './history.ts';
export * from './image-depth.ts';
export * from './image-store.ts';
export * from './inspect.ts';
export * from './list.ts';
export * from './usage.ts';
