import { useJson } from '../api.ts';
import type { AnalysisLayer, ImageDetail, StackLayer } from '../api-types.ts';
import { humanSize, shortId } from '../format.ts';
import { href } from '../route.ts';
import { AnalysisView, LayerCounts } from './analysis.tsx';
import { Status } from './status.tsx';

/** A layer's bar: its height grows with the log of its bytes, so small layers stay readable beside big ones. */
function barHeight(size: number, largest: number): number {
  if (size === 0) return 22;
  return 26 + Math.round((Math.log10(size + 1) / Math.log10(largest + 1)) * 70);
}

function Layer({ layer, largest, total, imageId, analyzed }: { layer: StackLayer; largest: number; total: number; imageId: string; analyzed: AnalysisLayer | undefined }) {
  const shared = layer.sharedWith.length > 0;
  const share = total > 0 ? (layer.size / total) * 100 : 0;
  return (
    <li class={`layer${layer.emptyLayer ? ' empty' : ''}${shared ? ' shared' : ''}`} style={{ minHeight: `${barHeight(layer.size, largest)}px` }} data-chain={layer.chainId ?? ''}>
      <div class="fill" style={{ width: `${Math.max(share, layer.size > 0 ? 0.5 : 0)}%` }} />
      <div class="layer-text">
        <span class="size">{humanSize(layer.size)}</span>
        <code class="instruction" title={layer.createdBy}>{layer.createdBy || '(no instruction recorded)'}</code>
        {layer.chainId !== null && (
          <a class="explore" href={href('layer', layer.chainId, imageId)}>
            files
          </a>
        )}
        {analyzed !== undefined && <LayerCounts layer={analyzed} />}
        {shared && (
          <span class="shared-with">
            shared with{' '}
            {layer.sharedWith.map((other, i) => (
              <span key={other.id}>
                {i > 0 && ', '}
                <a href={href('image', other.id)}>{other.name}</a>
              </span>
            ))}
          </span>
        )}
      </div>
    </li>
  );
}

export function ImageView({ id, generation }: { id: string; generation: number }) {
  const loaded = useJson<ImageDetail>(`/api/images/${encodeURIComponent(id)}`, generation);
  return (
    <section>
      <Status loaded={loaded}>
        {({ image, stack, config, analysis, analysisError }) => {
          // The analyzer counts layers, the stack history rows: the k-th row with a layer is layer k.
          const layerOf: (number | null)[] = [];
          let next = 0;
          for (const row of stack) layerOf.push(row.diffId === null ? null : next++);
          const largest = Math.max(1, ...stack.map((l) => l.size));
          const sharedBytes = stack.filter((l) => l.sharedWith.length > 0).reduce((a, l) => a + l.size, 0);
          return (
            <>
              <h1>{image.repoTags[0] ?? `<none> ${shortId(image.id)}`}</h1>
              <p class="muted mono">{image.id}</p>
              <dl class="facts">
                <dt>Size</dt>
                <dd>{humanSize(image.size)}</dd>
                <dt>Shared</dt>
                <dd>{humanSize(sharedBytes)}</dd>
                <dt>Unique</dt>
                <dd>{humanSize(image.uniqueSize)}</dd>
                <dt>Layers</dt>
                <dd>{image.layers}</dd>
                {image.repoTags.length > 1 && (
                  <>
                    <dt>Also tagged</dt>
                    <dd>{image.repoTags.slice(1).join(', ')}</dd>
                  </>
                )}
                {config.cmd !== null && (
                  <>
                    <dt>Cmd</dt>
                    <dd class="mono">{JSON.stringify(config.cmd)}</dd>
                  </>
                )}
              </dl>
              {Object.keys(image.labels).length > 0 && (
                <table class="labels">
                  <tbody>
                    {Object.entries(image.labels).map(([k, v]) => (
                      <tr key={k}>
                        <th>{k}</th>
                        <td>{v}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <h2>Layer stack</h2>
              <p class="muted">Base at the bottom; each history row with the bytes its layer stores (metadata-only rows are 0 B). Highlighted layers are shared with other images.</p>
              <ol class="stack" reversed>
                {stack.map((layer, i) => (
                  <Layer key={i} layer={layer} largest={largest} total={image.size} imageId={image.id} analyzed={layerOf[i] === null ? undefined : analysis?.layers[layerOf[i] as number]} />
                ))}
              </ol>
              <p>
                <a class="compare" href={href('diff', image.id, '')}>
                  Compare with another image
                </a>
              </p>
              <h2>Analysis</h2>
              {analysis === null ? <p class="error analysis-missing">The analyzer could not read this image: {analysisError ?? 'no answer'}</p> : <AnalysisView analysis={analysis} stack={stack} />}
            </>
          );
        }}
      </Status>
    </section>
  );
}
