/**
 * Known waste: package-manager lists and caches and `.git` directories a layer stores, and
 * files a layer adds that a later one removes. Each hint names the layer's instruction.
 */
import type { Hint, HintKind, WastedFile } from './analysis-types.ts';
import { KIND_CODE, type ScanTable } from './scan-table.ts';

interface CacheRule {
  kind: Exclude<HintKind, 'added-then-removed'>;
  pattern: RegExp;
  advice: string;
}

const CACHE_RULES: CacheRule[] = [
  { kind: 'apt-lists', pattern: /^var\/lib\/apt\/lists\/(?!lock$)(?!partial$)./, advice: 'end that RUN with `rm -rf /var/lib/apt/lists/*`' },
  { kind: 'apt-cache', pattern: /^var\/cache\/apt\/./, advice: 'run `apt-get clean` in the same RUN' },
  { kind: 'apk-cache', pattern: /^(var\/cache\/apk|etc\/apk\/cache)\/./, advice: 'use `apk add --no-cache`' },
  { kind: 'npm-cache', pattern: /(^|\/)\.npm\/./, advice: 'run `npm cache clean --force` in the same RUN, or use a cache mount' },
  { kind: 'pip-cache', pattern: /(^|\/)\.cache\/pip\/./, advice: 'use `pip install --no-cache-dir`' },
  { kind: 'git', pattern: /(^|\/)\.git\/./, advice: 'add `.git` to .dockerignore' },
];

const SAMPLE = 5;

function sizeText(bytes: number): string {
  return `${bytes} B`;
}

/** Cache and `.git` files stored by each layer (visible or not: the layer stores them either way). */
export function cacheHints(scans: readonly ScanTable[], instructions: readonly string[]): Hint[] {
  const hints: Hint[] = [];
  scans.forEach((scan, layer) => {
    for (const rule of CACHE_RULES) {
      let files = 0;
      let bytes = 0;
      const paths: string[] = [];
      for (let i = 0; i < scan.length; i++) {
        if (scan.kindCode(i) !== KIND_CODE.file) continue;
        const path = scan.path(i);
        if (!rule.pattern.test(path)) continue;
        files++;
        bytes += scan.size(i);
        if (paths.length < SAMPLE) paths.push(`/${path}`);
      }
      if (files === 0) continue;
      const instruction = instructions[layer] ?? '';
      hints.push({
        kind: rule.kind, layer, instruction, files, bytes, paths,
        message: `layer ${layer} stores ${files} ${rule.kind} file(s), ${sizeText(bytes)}: ${rule.advice}`,
      });
    }
  });
  return hints;
}

/** Files one layer added and a later layer removed: their bytes stay in the first. */
export function addedThenRemovedHints(wasted: readonly WastedFile[], instructions: readonly string[]): Hint[] {
  const groups = new Map<string, { layer: number; byLayer: number; files: number; bytes: number; paths: string[] }>();
  for (const w of wasted) {
    if (w.reason === 'overwritten' || w.byLayer <= w.layer) continue;
    const key = `${w.layer}:${w.byLayer}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { layer: w.layer, byLayer: w.byLayer, files: 0, bytes: 0, paths: [] };
      groups.set(key, g);
    }
    g.files++;
    g.bytes += w.size;
    if (g.paths.length < SAMPLE) g.paths.push(w.path);
  }
  return [...groups.values()].map((g) => ({
    kind: 'added-then-removed' as const,
    layer: g.layer,
    instruction: instructions[g.layer] ?? '',
    files: g.files,
    bytes: g.bytes,
    paths: g.paths,
    message: `layer ${g.layer} adds ${g.files} file(s), ${sizeText(g.bytes)}, that layer ${g.byLayer} (${instructions[g.byLayer] ?? ''}) removes: the bytes stay in layer ${g.layer}; remove them in the step that creates them`,
  }));
}
