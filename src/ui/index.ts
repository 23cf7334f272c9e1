export { startUiServer, type RunningUi, type UiServerOptions } from './server.ts';
export { findAssetsDir } from './assets.ts';
export type { AnalysisSource } from './analysis-slot.ts';
