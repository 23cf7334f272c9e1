export * from './mount.ts';
