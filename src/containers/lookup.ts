/**
 * Finding containers as docker does: by full ID, by name (with or without '/'), then by
 * unique ID prefix; and renaming, which changes how they are found.
 */
import { alreadyExists, invalidArgument, notFound } from '../errdefs/index.ts';
import { inTransaction, type ContainerRecords, type Database } from '../metadata/index.ts';
import { toContainer, type Container } from './container.ts';
import { nameConflict, validateName } from './names.ts';

export class ContainerLookup {
  /**
   * @param home `<root>/containers`.
   */
  constructor(
    private readonly db: Database,
    private readonly records: ContainerRecords,
    readonly home: string,
  ) {}

  /**
   * The container `ref` names.
   * @throws not-found `No such container: x`; invalid-argument for an ambiguous prefix.
   */
  find(ref: string): Container {
    const found = this.lookup(ref);
    if (found === undefined) throw notFound(`No such container: ${ref}`);
    return found;
  }

  /** Like `find`, but undefined when nothing matches. @throws invalid-argument for an ambiguous prefix. */
  lookup(ref: string): Container | undefined {
    if (/^[0-9a-f]{64}$/.test(ref)) {
      const row = this.records.get(ref);
      if (row) return toContainer(row, this.home);
    }
    const byName = this.records.byName(ref.startsWith('/') ? ref.slice(1) : ref);
    if (byName) return toContainer(byName, this.home);
    if (/^[0-9a-f]+$/.test(ref)) {
      const ids = this.records.idsWithPrefix(ref);
      if (ids.length > 1) throw invalidArgument(`Multiple IDs found with provided prefix: ${ref}`);
      const row = ids[0] === undefined ? undefined : this.records.get(ids[0]);
      if (row) return toContainer(row, this.home);
    }
    return undefined;
  }

  /** Re-reads a container's record (after a rename, or to see another process's lock). */
  refresh(c: Container): Container {
    const row = this.records.get(c.id);
    if (!row) throw notFound(`No such container: ${c.id}`);
    return toContainer(row, this.home);
  }

  /** Every container, newest first. */
  all(): Container[] {
    return this.records.all().map((r) => toContainer(r, this.home));
  }

  /**
   * `rename`.
   * @throws invalid-argument (bad or unchanged name), already-exists (taken).
   */
  rename(c: Container, newName: string): void {
    const name = validateName(newName);
    if (name === c.name) throw invalidArgument('Renaming a container with the same name as its current name');
    inTransaction(this.db, () => {
      const other = this.records.byName(name);
      if (other) throw alreadyExists(`Error when allocating new name: ${nameConflict(name, other.id).message}`);
      this.records.rename(c.id, name);
    });
  }
}
