export * from './build-cache-records.ts';
export * from './container-records.ts';
export * from './database.ts';
export { RESERVE_BYTES, RESERVE_FILE } from './disk-reserve.ts';
export * from './image-records.ts';
export * from './layer-records.ts';
export * from './lease-records.ts';
export { SCHEMA_VERSION } from './schema.ts';
export * from './snapshot-records.ts';
