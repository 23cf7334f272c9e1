export * from './limits.ts';
export * from './mount.ts';
