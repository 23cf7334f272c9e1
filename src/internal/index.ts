export * from './atomic-file.ts';
export * from './random-id.ts';
