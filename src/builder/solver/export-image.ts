/**
 * The target stage's state becomes the image: its config with BuildKit's history times, the
 * `--label`s, the layers (no blobs: a built layer's tar is regenerated from its snapshot when
 * it travels), recorded with the `-t` names in one transaction.
 *
 * History times are BuildKit's: a new layer's entry has the time its layer was made (a cached
 * step keeps the time of the build that made it, so a no-op rebuild gives the same image ID);
 * a metadata entry takes the time of the layer entry before it, or of the first new layer when
 * none came before; the config's `created` is the last entry's time. With SOURCE_DATE_EPOCH,
 * every new entry and `created` are that time.
 */
import { familiarString, formatReference, serializeImageConfig, sha256Of, withDefaultTag, type Digest, type HistoryEntry, type ImageConfig } from '../../oci/index.ts';
import { inTransaction, LeaseRecords } from '../../metadata/index.ts';
import { failpoint } from '../../internal/index.ts';
import type { SolveSession } from './solve-session.ts';
import type { HistoryItem, StageState } from './stage-state.ts';

/** RFC 3339 with nanoseconds as Go prints it (trailing zeros of the fraction dropped). */
export function goTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d+)Z$/, (_, frac: string) => {
    const trimmed = frac.replace(/0+$/, '');
    return trimmed === '' ? 'Z' : `.${trimmed}Z`;
  });
}

/** Fills in the created time of every new history entry (see the file comment). */
export function historyTimes(items: readonly HistoryItem[], epochMs: number | undefined): HistoryEntry[] {
  if (epochMs !== undefined) {
    return items.map((h) => (h.inherited ? h.entry : { ...h.entry, created: goTime(epochMs) }));
  }
  const times: (string | undefined)[] = items.map((h) => (h.inherited ? h.entry.created : h.createdMs !== undefined ? goTime(h.createdMs) : undefined));
  let created: string | undefined;
  let gap = false;
  for (const t of times) {
    if (t !== undefined) {
      created = t;
      if (gap) break;
    } else {
      gap = true;
    }
  }
  gap = false;
  return items.map((h, i) => {
    const t = times[i];
    if (t !== undefined) {
      if (gap) created = t;
      return h.inherited ? h.entry : { ...h.entry, created: t };
    }
    gap = true;
    return created === undefined ? { ...h.entry } : { ...h.entry, created };
  });
}

export async function exportImage(builder: SolveSession, state: StageState): Promise<{ id: Digest; tags: string[] }> {
  const progress = builder.progress;
  const v = progress.start('exporting to image');
  const o = builder.options;
  const epochMs = o.sourceDateEpoch === undefined ? undefined : o.sourceDateEpoch * 1000;
  const config: ImageConfig = structuredClone(state.config);
  if (o.labels !== undefined && Object.keys(o.labels).length > 0) {
    config.config = { ...(config.config ?? {}), Labels: { ...(config.config?.Labels ?? {}), ...o.labels } };
  }
  if (config.config?.OnBuild !== undefined && config.config.OnBuild.length === 0) delete config.config.OnBuild;
  const history = historyTimes(state.history, epochMs);
  config.history = history;
  config.rootfs = { type: 'layers', diff_ids: state.layers.map((l) => l.diffId) };
  const last = history.at(-1)?.created;
  if (epochMs !== undefined) config.created = goTime(epochMs);
  else if (last !== undefined) config.created = last;
  else delete config.created;
  progress.status(v, 'exporting layers done');
  const bytes = serializeImageConfig(config);
  const tags = (o.tags ?? []).map(withDefaultTag);
  const images = builder.host.images;
  const id = sha256Of(bytes);
  // A no-op rebuild makes the image that is already stored and named: nothing to write.
  const unchanged = images.get(id) !== undefined && tags.every((t) => images.records.tagTarget(formatReference(t)) === id);
  if (!unchanged) {
    let stored = false;
    try {
      // Leased and stored before the records, so that a failure to write them (a full disk)
      // removes it too, unless another build made the same image meanwhile.
      builder.protect(id, 'blob');
      stored = images.content.writeBytes(bytes).created;
      // The race tests' pause point, outside the records' transaction (a pause inside would hold the write lock).
      failpoint('image create: blobs written');
      images.batch(() => {
        images.create({
          config: bytes,
          layers: state.layers.map((l) => ({ diffId: l.diffId, size: l.size, tarSize: l.tarSize })),
          tags,
        });
        builder.endLease();
      });
    } catch (err) {
      if (stored) discardConfig(images, id, builder.leaseHeld);
      progress.fail(v, err instanceof Error ? err.message : String(err));
      throw builder.failure(err, undefined);
    }
  }
  progress.status(v, `writing image ${id} done`);
  for (const t of tags) progress.status(v, `naming to ${formatReference(t)} done`);
  progress.done(v);
  return { id, tags: tags.map(familiarString) };
}

/**
 * Removes the config blob of an image whose records could not be written, unless an image
 * record or another command's lease holds it now (decided in one transaction).
 */
function discardConfig(images: SolveSession['host']['images'], id: Digest, ownLease: string | undefined): void {
  try {
    const leases = new LeaseRecords(images.db);
    inTransaction(images.db, () => {
      if (images.get(id) !== undefined || leases.refs('blob').some((r) => r.ref === id && r.leaseId !== ownLease)) return;
      images.content.delete(id);
    });
  } catch {
    // A blob nothing references: the next collection removes it.
  }
}
