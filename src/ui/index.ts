export { startUiServer, type RunningUi, type UiServerOptions } from './server.ts';
export { findAssetsDir } from './assets.ts';
export { noAnalysis, type AnalysisSource } from './analysis-slot.ts';
