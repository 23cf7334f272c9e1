// Two images side by side (`image diff A B`): the layers they share, then the files, config
// fields and history rows that differ. Both are picked from the store's images.
import { useJson } from '../api.ts';
import type { DiffConfig, ImageDiffView, ImageRow } from '../api-types.ts';
import { humanSize, shortId } from '../format.ts';
import { href } from '../route.ts';
import { Status } from './status.tsx';

const KIND_TITLES = { A: 'only in B', C: 'in both, different', D: 'only in A' } as const;

function nameOf(image: ImageRow): string {
  return image.repoTags[0] ?? `<none> ${shortId(image.id)}`;
}

function Picker({ label, images, value, onPick }: { label: string; images: ImageRow[]; value: string; onPick: (id: string) => void }) {
  return (
    <label class="picker">
      {label}{' '}
      <select aria-label={`image ${label}`} value={value} onChange={(e) => onPick((e.target as HTMLSelectElement).value)}>
        <option value="">(pick an image)</option>
        {images.map((image) => (
          <option key={image.id} value={image.id}>
            {nameOf(image)}
          </option>
        ))}
      </select>
    </label>
  );
}

function shown(value: DiffConfig['a']): string {
  if (value === null) return '(unset)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function DiffResult({ diff }: { diff: ImageDiffView }) {
  return (
    <>
      <p class="diff-shared">
        {diff.sharedLayers.length} of {diff.a.layers} / {diff.b.layers} layers shared
      </p>
      <h2>Files</h2>
      {diff.files.length === 0 ? (
        <p class="muted">The final file trees are the same.</p>
      ) : (
        <table class="diff-files">
          <thead>
            <tr>
              <th></th>
              <th>PATH</th>
              <th>TYPE</th>
              <th>SIZE IN A</th>
              <th>SIZE IN B</th>
            </tr>
          </thead>
          <tbody>
            {diff.files.map((f) => (
              <tr key={f.path} class={`mark-${f.kind}`} data-path={f.path}>
                <td class="mark" title={KIND_TITLES[f.kind]}>
                  {f.kind}
                </td>
                <td class="mono name">{f.path}</td>
                <td>{f.type}</td>
                <td class="num">{f.sizeA === undefined ? '' : humanSize(f.sizeA)}</td>
                <td class="num">{f.sizeB === undefined ? '' : humanSize(f.sizeB)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {diff.fileCount > diff.files.length && (
        <p class="muted">
          {diff.fileCount} files differ; the first {diff.files.length} are shown (`strata image diff` lists them all).
        </p>
      )}
      <h2>Config</h2>
      {diff.config.length === 0 ? (
        <p class="muted">Same config.</p>
      ) : (
        <table class="diff-config">
          <thead>
            <tr>
              <th>FIELD</th>
              <th>A</th>
              <th>B</th>
            </tr>
          </thead>
          <tbody>
            {diff.config.map((c, i) => (
              <tr key={i}>
                <td>
                  {c.field}
                  {c.key !== undefined && <span class="mono"> {c.key}</span>}
                </td>
                <td class="mono">{shown(c.a)}</td>
                <td class="mono">{shown(c.b)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>History</h2>
      <div class="diff-history">
        <div>
          <h3>Only in A</h3>
          <ul class="history-a">{diff.history.onlyA.length === 0 ? <li class="muted">nothing</li> : diff.history.onlyA.map((h, i) => <li key={i}><code>{h}</code></li>)}</ul>
        </div>
        <div>
          <h3>Only in B</h3>
          <ul class="history-b">{diff.history.onlyB.length === 0 ? <li class="muted">nothing</li> : diff.history.onlyB.map((h, i) => <li key={i}><code>{h}</code></li>)}</ul>
        </div>
      </div>
    </>
  );
}

export function DiffView({ a, b, generation }: { a: string; b: string; generation: number }) {
  const images = useJson<ImageRow[]>('/api/images', generation);
  const diff = useJson<ImageDiffView>(a !== '' && b !== '' ? `/api/diff?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}` : null, generation);
  const pick = (nextA: string, nextB: string): void => {
    location.hash = href('diff', nextA, nextB);
  };
  return (
    <section>
      <h1>Compare two images</h1>
      <Status loaded={images}>
        {(list) => (
          <p class="pickers">
            <Picker label="A" images={list} value={a} onPick={(id) => pick(id, b)} /> <Picker label="B" images={list} value={b} onPick={(id) => pick(a, id)} />
          </p>
        )}
      </Status>
      {a !== '' && b !== '' ? <Status loaded={diff}>{(d) => <DiffResult diff={d} />}</Status> : <p class="muted">Pick two images.</p>}
    </section>
  );
}
