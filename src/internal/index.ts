export * from './atomic-file.ts';
export * from './random-id.ts';
export * from './process-alive.ts';
export * from './child-process.ts';
export * from './output-file.ts';
export * from './path-in-root.ts';
export * from './crash-point.ts';
export * from './failpoint.ts';
