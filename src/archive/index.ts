export * from './decompress.ts';
export * from './import.ts';
export * from './layer-meter.ts';
export * from './load.ts';
export * from './save.ts';
