/**
 * How many layers an image may have: as many as a container of it can mount. A container
 * stacks its init layer on the image's layers, all of them overlayfs lower layers (its
 * writable layer is the upper directory, which is not one), and overlayfs mounts at most
 * OVERLAY_MAX_LOWER lower layers. An image one layer deeper could be stored but never run,
 * so every command that makes an image refuses to make it, as docker's layer store does
 * past its own limit of 125 ("max depth exceeded"). The native driver has no stacking
 * limit, but the same one holds there: an image in the store must run with either driver
 * and load into any store.
 */
import { invalidArgument } from '../errdefs/index.ts';
// limits.ts, not the index: image records need the number, not the code that mounts.
import { OVERLAY_MAX_LOWER } from '../mount/limits.ts';

export const MAX_IMAGE_LAYERS = OVERLAY_MAX_LOWER - 1;

/**
 * Refuses an image of more than MAX_IMAGE_LAYERS layers.
 * @param subject what the message says has that many layers: `image app:1 has`, `RUN make would give the image`
 * @throws invalid-argument (docker's words first, then the reason)
 */
export function checkImageDepth(layers: number, subject: string): void {
  if (layers <= MAX_IMAGE_LAYERS) return;
  throw invalidArgument(`max depth exceeded: ${subject} ${layers} layers, over the ${MAX_IMAGE_LAYERS} an image may have (a container adds its init layer, and overlayfs stacks at most ${OVERLAY_MAX_LOWER})`);
}
