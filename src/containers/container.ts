/**
 * A container record, parsed, and the places derived from it: its directory
 * (`<root>/containers/<id>`), where its layers are mounted, its cgroup.
 */
import { join } from 'node:path';
import type { ContainerRow } from '../metadata/index.ts';
import type { Digest } from '../oci/index.ts';
import { parseStoredContainer, type StoredContainer } from './container-config.ts';

/** A container record, parsed. */
export interface Container {
  id: string;
  name: string;
  imageId: Digest;
  /** The image's top chain ID, '' without layers. */
  layerChain: string;
  created: string;
  stored: StoredContainer;
  /** `<root>/containers/<id>`. */
  dir: string;
  row: ContainerRow;
}

/** Parses a record; `home` is `<root>/containers`. */
export function toContainer(row: ContainerRow, home: string): Container {
  return {
    id: row.id, name: row.name, imageId: row.imageId as Digest, layerChain: row.layerChain, created: row.created,
    stored: parseStoredContainer(row.config), dir: join(home, row.id), row,
  };
}

/** Where the container's layers are mounted while it runs (or while a command works on its files). */
export function rootfsDir(c: Pick<Container, 'dir'>): string {
  return join(c.dir, 'rootfs');
}

export function cgroupsPath(c: Container): string {
  return `${c.stored.run.cgroupParent ?? '/strata'}/${c.id}`;
}
