/**
 * Where the layer analyzer's numbers (efficiency, wasted bytes, hints: `image analyze`) plug
 * into the web app: the server asks an AnalysisSource for each image it details
 * (insight-views.ts gives the real one; tests may give another).
 */
import type { Digest } from '../oci/index.ts';
import type { ImageAnalysis } from './api-types.ts';

export type AnalysisSource = (imageId: Digest) => Promise<ImageAnalysis | null>;
