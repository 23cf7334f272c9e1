/**
 * Layers into snapshots and back: extracting stored blobs (load, import, run, build), the
 * pull's streaming sink, and a layer's tar for save and push. Every function takes the stores
 * it works on; registry/ and archive/ receive these through the interfaces they declare.
 *
 * The engine imports the files it needs one by one (extract.ts and layer-tar.ts lazily), so
 * a command that extracts nothing never loads the layer codec.
 */
export * from './extract.ts';
export * from './layer-tar.ts';
export * from './pull-sink.ts';
export * from './unpacked.ts';
