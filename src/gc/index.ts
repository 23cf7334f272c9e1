export * from './collector.ts';
export * from './reachability.ts';
