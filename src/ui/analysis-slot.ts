/**
 * Where the layer analyzer's numbers (efficiency, wasted bytes, hints: `image analyze`) plug
 * into the web app. The server asks an AnalysisSource for each image it details; until the
 * analyzer is wired in, the source answers null and the app shows that no analysis ran.
 */
import type { Digest } from '../oci/index.ts';
import type { ImageAnalysis } from './api-types.ts';

export type AnalysisSource = (imageId: Digest) => Promise<ImageAnalysis | null>;

export const noAnalysis: AnalysisSource = () => Promise.resolve(null);
