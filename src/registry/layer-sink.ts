/**
 * Where a pulled layer's uncompressed bytes go. The pull hands every layer's tar, as it
 * arrives, to a sink the caller chooses: by default one that only measures it (diff_id,
 * docker's size, tar size); the engine passes one that also unpacks it into a snapshot,
 * so a layer is extracted while it downloads.
 */
import { LayerMeter, type LayerMeasure } from '../archive/index.ts';
import type { Descriptor, Digest } from '../oci/index.ts';

export interface LayerSinkInfo {
  /** Position in the image, 0 = bottom. */
  index: number;
  /** The diff_id the image config promises; the sink's measure must match it. */
  diffId: Digest;
  chainId: Digest;
  parentChainId?: Digest;
  /** The blob the bytes come from. */
  descriptor: Descriptor;
}

export interface LayerSink {
  /** Uncompressed tar bytes, in order. A returned promise applies back-pressure. */
  write(chunk: Buffer): void | Promise<void>;
  /**
   * Every byte was written and the blob's digest verified: finish and measure.
   * @throws when the bytes are not a valid layer tar
   */
  end(): LayerMeasure | Promise<LayerMeasure>;
  /** The pull failed or the blob did not verify: undo whatever was written. Never throws. */
  abort(reason: unknown): void | Promise<void>;
}

export type LayerSinkFactory = (info: LayerSinkInfo) => LayerSink;

/** The default sink: measures the layer with LayerMeter and keeps nothing. */
export const measuringSink: LayerSinkFactory = () => {
  const meter = new LayerMeter();
  return {
    write: (chunk) => meter.write(chunk),
    end: () => meter.end(),
    abort: () => undefined,
  };
};
