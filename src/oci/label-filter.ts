/**
 * docker's `--filter label=…` and `--filter label!=…` on the labels of an image, a container
 * or a volume, as moby matches them (filters.Args.MatchKVList, and the prune commands'
 * matchLabels): one rule for `images`, `ps`, `volume ls` and every prune.
 */

/** Whether every filter names a label present in `labels` (`KEY`), with that value (`KEY=VALUE`); no filter is a match. */
function allMatch(labels: Readonly<Record<string, string>> | null | undefined, filters: readonly string[]): boolean {
  if (filters.length === 0) return true;
  // No labels at all matches no filter: `label!=x` then keeps the item, as docker does.
  if (labels === null || labels === undefined || Object.keys(labels).length === 0) return false;
  return filters.every((filter) => {
    const eq = filter.indexOf('=');
    const key = eq < 0 ? filter : filter.slice(0, eq);
    // Own keys only: `label=constructor` is no label of a plain object.
    if (!Object.hasOwn(labels, key)) return false;
    return eq < 0 || labels[key] === filter.slice(eq + 1);
  });
}

/**
 * Whether `labels` pass the `label` and `label!` filters of `filters` (as `parseFilters` gathers
 * them): every `label` filter matches, and the `label!` filters, when there are any, do not
 * all match together (docker excludes an item only when it matches every `label!` filter).
 */
export function matchesLabelFilters(filters: ReadonlyMap<string, readonly string[]>, labels: Readonly<Record<string, string>> | null | undefined): boolean {
  if (!allMatch(labels, filters.get('label') ?? [])) return false;
  const not = filters.get('label!') ?? [];
  return not.length === 0 || !allMatch(labels, not);
}
