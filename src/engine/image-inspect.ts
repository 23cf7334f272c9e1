/** An image's inspect JSON with its GraphDriver block, which needs the snapshotter (CLI and API alike). */
import { chainIds, type Digest } from '../oci/index.ts';
import { inspectImage, type ImageInspect } from '../images/index.ts';
import type { Engine } from './engine.ts';

/** docker's GraphDriver block: the image's layer directories, top one as UpperDir. */
function graphDriverOf(engine: Engine, id: Digest): ImageInspect['GraphDriver'] {
  const snapshotter = engine.snapshotter;
  const dirs = chainIds(engine.images.config(id).rootfs.diff_ids)
    .map((chainId) => snapshotter.stat(chainId))
    .map((row) => (row ? snapshotter.fsDir(row) : undefined));
  const top = dirs.at(-1);
  if (top === undefined || dirs.some((d) => d === undefined)) return { Data: null, Name: snapshotter.driver };
  const data: Record<string, string> = {};
  if (dirs.length > 1) data['LowerDir'] = dirs.slice(0, -1).reverse().join(':');
  data['UpperDir'] = top;
  return { Data: data, Name: snapshotter.driver };
}

export function imageInspectJson(engine: Engine, id: Digest): ImageInspect {
  return inspectImage(engine.images, id, graphDriverOf(engine, id));
}
