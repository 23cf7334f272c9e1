/**
 * `image diff A B`, as data: the layers two images share (their common bottom), the files
 * whose final state differs (A added in B, C changed, D deleted, with sizes), the config
 * fields that differ, and the history rows after the common ones.
 */
import type { ContainerDefaults } from '../oci/index.ts';
import { FileTree, type TreeNode } from './file-tree.ts';
import type { ImageInput } from './image-input.ts';
import type { ScanTable } from './scan-table.ts';

export interface FileChange {
  /** docker diff's letters: A only in B, C in both but different, D only in A. */
  kind: 'A' | 'C' | 'D';
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  /** Body bytes in A and in B (absent where the path is absent). */
  sizeA?: number;
  sizeB?: number;
}

export interface ConfigChange {
  /** `User`, `Cmd`, `Entrypoint`, `WorkingDir`, or a keyed one: `Env`, `Labels`, `ExposedPorts`, `Volumes`. */
  field: string;
  /** The variable, label, port or volume, for keyed fields. */
  key?: string;
  /** The value in A and in B; null where unset. */
  a: string | string[] | null;
  b: string | string[] | null;
}

export interface ImageDiff {
  schemaVersion: 1;
  a: { ref: string; id: string; layers: number };
  b: { ref: string; id: string; layers: number };
  /** diff_ids of the bottom layers both images have (same chain). */
  sharedLayers: string[];
  files: FileChange[];
  config: ConfigChange[];
  /** History rows (created_by) after the ones both images begin with. */
  history: { onlyA: string[]; onlyB: string[] };
}

function finalTree(scans: readonly ScanTable[]): Map<string, TreeNode> {
  const tree = new FileTree(scans, () => undefined);
  scans.forEach((scan, layer) => {
    for (let i = 0; i < scan.length; i++) tree.apply(layer, i);
  });
  const paths = new Map<string, TreeNode>();
  tree.walk((path, node) => paths.set(`/${path}`, node));
  return paths;
}

function typeOf(node: TreeNode): FileChange['type'] {
  return node.kind === 'whiteout' || node.kind === 'opaque' ? 'other' : node.kind;
}

function fileChanges(a: Map<string, TreeNode>, b: Map<string, TreeNode>): FileChange[] {
  const changes: FileChange[] = [];
  for (const [path, nb] of b) {
    const na = a.get(path);
    if (na === undefined) changes.push({ kind: 'A', path, type: typeOf(nb), sizeB: nb.size });
    else if (na.kind !== nb.kind || (nb.kind !== 'dir' && (na.size !== nb.size || na.sha256 !== nb.sha256))) {
      changes.push({ kind: 'C', path, type: typeOf(nb), sizeA: na.size, sizeB: nb.size });
    }
  }
  for (const [path, na] of a) if (!b.has(path)) changes.push({ kind: 'D', path, type: typeOf(na), sizeA: na.size });
  return changes.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

function keyed(field: string, a: Record<string, string>, b: Record<string, string>): ConfigChange[] {
  const out: ConfigChange[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const va = a[key] ?? null;
    const vb = b[key] ?? null;
    if (va !== vb) out.push({ field, key, a: va, b: vb });
  }
  return out;
}

function envMap(env: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    out[eq < 0 ? e : e.slice(0, eq)] = eq < 0 ? '' : e.slice(eq + 1);
  }
  return out;
}

function setMap(set: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.keys(set ?? {}).map((k) => [k, k]));
}

function configChanges(a: ContainerDefaults, b: ContainerDefaults): ConfigChange[] {
  const out: ConfigChange[] = [];
  const plain = (field: 'User' | 'WorkingDir'): void => {
    const va = a[field] || null;
    const vb = b[field] || null;
    if (va !== vb) out.push({ field, a: va, b: vb });
  };
  const list = (field: 'Cmd' | 'Entrypoint'): void => {
    const va = a[field] ?? null;
    const vb = b[field] ?? null;
    if (JSON.stringify(va) !== JSON.stringify(vb)) out.push({ field, a: va, b: vb });
  };
  plain('User');
  plain('WorkingDir');
  list('Entrypoint');
  list('Cmd');
  out.push(...keyed('Env', envMap(a.Env), envMap(b.Env)));
  out.push(...keyed('Labels', a.Labels ?? {}, b.Labels ?? {}));
  out.push(...keyed('ExposedPorts', setMap(a.ExposedPorts), setMap(b.ExposedPorts)));
  out.push(...keyed('Volumes', setMap(a.Volumes), setMap(b.Volumes)));
  return out;
}

export function diffInputs(a: ImageInput, scansA: readonly ScanTable[], b: ImageInput, scansB: readonly ScanTable[]): ImageDiff {
  const shared: string[] = [];
  for (let i = 0; i < Math.min(a.layers.length, b.layers.length); i++) {
    if (a.layers[i]?.chainId !== b.layers[i]?.chainId) break;
    shared.push(a.layers[i]?.diffId as string);
  }
  const historyA = (a.config.history ?? []).map((h) => h.created_by ?? '');
  const historyB = (b.config.history ?? []).map((h) => h.created_by ?? '');
  let common = 0;
  while (common < historyA.length && common < historyB.length && historyA[common] === historyB[common]) common++;
  return {
    schemaVersion: 1,
    a: { ref: a.ref, id: a.id, layers: a.layers.length },
    b: { ref: b.ref, id: b.id, layers: b.layers.length },
    sharedLayers: shared,
    files: a.id === b.id ? [] : fileChanges(finalTree(scansA), finalTree(scansB)),
    config: configChanges(a.config.config ?? {}, b.config.config ?? {}),
    history: { onlyA: historyA.slice(common), onlyB: historyB.slice(common) },
  };
}
