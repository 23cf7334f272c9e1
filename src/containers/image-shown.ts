/**
 * The image a container is listed with (docker's `ps` IMAGE column, the Engine API's
 * summary `Image`): the name given at create while that name still means the container's
 * image, else the image's ID.
 */
import type { ImageStore } from '../images/index.ts';
import type { Container } from './container.ts';

export function imageShown(images: Pick<ImageStore, 'lookup'>, c: Container): string {
  let current: string | undefined;
  try {
    current = images.lookup(c.stored.imageRef);
  } catch {
    current = undefined;
  }
  return current === c.imageId ? c.stored.imageRef : c.imageId;
}
