// `image analyze`'s numbers for one image: efficiency, wasted bytes (base vs user), hints with
// the instruction behind each, duplicate bodies. The server computes them all (src/insight/).
import type { AnalysisLayer, ImageAnalysis, StackLayer } from '../api-types.ts';
import { humanSize } from '../format.ts';

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

function count(files: number, bytes: number): string {
  return `${files} (${humanSize(bytes)})`;
}

/** A layer's added / modified / removed and wasted bytes, beside its row in the stack. */
export function LayerCounts({ layer }: { layer: AnalysisLayer }) {
  return (
    <span class="layer-counts" title="files added, modified and removed against the layers below; bytes the final image cannot see">
      <span class="mark-A">+{count(layer.added.files, layer.added.bytes)}</span> <span class="mark-C">~{count(layer.modified.files, layer.modified.bytes)}</span>{' '}
      <span class="mark-D">−{count(layer.removed.files, layer.removed.bytes)}</span>
      {layer.wastedBytes > 0 && <span class="wasted"> wasted {humanSize(layer.wastedBytes)}</span>}
    </span>
  );
}

const BASE_SOURCES = { 'parent-image': 'a parent image in the store', history: "the history's dates", none: 'none found' } as const;

export function AnalysisView({ analysis, stack }: { analysis: ImageAnalysis; stack: StackLayer[] }) {
  const layerRows = stack.filter((l) => l.diffId !== null);
  return (
    <div class="analysis">
      <dl class="facts">
        <dt>Efficiency</dt>
        <dd class="efficiency">{percent(analysis.efficiency)}</dd>
        <dt>Stored</dt>
        <dd>{humanSize(analysis.storedBytes)}</dd>
        <dt>Visible</dt>
        <dd>{humanSize(analysis.visibleBytes)}</dd>
        <dt>Wasted</dt>
        <dd class="wasted-total">{humanSize(analysis.wastedBytes)}</dd>
        <dt>Base image waste</dt>
        <dd class="base-waste">{humanSize(analysis.baseWastedBytes)}</dd>
        <dt>Your waste</dt>
        <dd class="user-waste">{humanSize(analysis.userWastedBytes)}</dd>
        <dt>Duplicated</dt>
        <dd class="duplicate-total">{humanSize(analysis.duplicateBytes)}</dd>
        <dt>Base layers</dt>
        <dd>
          {analysis.baseLayers} (from {BASE_SOURCES[analysis.baseSource]})
        </dd>
      </dl>
      <h3>Hints</h3>
      {analysis.hints.length === 0 ? (
        <p class="muted">No known waste.</p>
      ) : (
        <ul class="hints">
          {analysis.hints.map((h, i) => (
            <li key={i} data-kind={h.kind}>
              <span class="hint-message">{h.message}</span> <span class="num">{humanSize(h.bytes)}</span>
              <div class="muted">
                layer {h.layer}: <code class="hint-instruction">{h.instruction || layerRows[h.layer]?.createdBy || '(no instruction recorded)'}</code>
              </div>
            </li>
          ))}
        </ul>
      )}
      <h3>Duplicate bodies</h3>
      {analysis.duplicates.length === 0 ? (
        <p class="muted">No file body is stored twice.</p>
      ) : (
        <table class="duplicates">
          <thead>
            <tr>
              <th>SIZE</th>
              <th>COPIES</th>
              <th>PATHS (LAYER)</th>
            </tr>
          </thead>
          <tbody>
            {analysis.duplicates.map((d) => (
              <tr key={d.sha256} title={d.sha256}>
                <td class="num">{humanSize(d.size)}</td>
                <td class="num">{d.copies.length}</td>
                <td class="mono">{d.copies.map((c) => `${c.path} (${c.layer})`).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {analysis.duplicatesTruncated && <p class="muted">More bodies are duplicated: `strata image analyze` lists them all.</p>}
    </div>
  );
}
