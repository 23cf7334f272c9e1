import { useJson } from '../api.ts';
import type { SharingView as Sharing } from '../api-types.ts';
import { humanSize, shortId } from '../format.ts';
import { href } from '../route.ts';
import { Status } from './status.tsx';

/** Images × shared layers: which bases are shared, and what storing each once saves. */
export function SharingView({ generation }: { generation: number }) {
  const loaded = useJson<Sharing>('/api/sharing', generation);
  return (
    <section>
      <h1>Sharing</h1>
      <Status loaded={loaded}>
        {({ images, shared, totalSaved, layerCount }) => {
          const used = [...new Set(shared.flatMap((l) => l.users))].sort((a, b) => a - b);
          return (
            <>
              <p>
                {layerCount} layers in {images.length} images; {shared.length} of them shared. Storing each layer once saves <strong>{humanSize(totalSaved)}</strong>.
              </p>
              {shared.length === 0 ? (
                <p class="muted">No image shares a layer with another.</p>
              ) : (
                <div class="scroll">
                  <table class="matrix">
                    <thead>
                      <tr>
                        <th>layer</th>
                        <th>size</th>
                        <th>saves</th>
                        {used.map((i) => (
                          <th key={i} class="image-col">
                            <a href={href('image', images[i]?.id ?? '')}>{images[i]?.name}</a>
                          </th>
                        ))}
                      </tr>
                    </thead>
                    <tbody>
                      {shared.map((layer) => (
                        <tr key={layer.chainId}>
                          <td>
                            <a class="mono" href={href('layer', layer.chainId)} title={layer.createdBy}>
                              {shortId(layer.diffId)}
                            </a>{' '}
                            <code class="instruction">{layer.createdBy}</code>
                          </td>
                          <td class="num">{humanSize(layer.size)}</td>
                          <td class="num">{humanSize(layer.saved)}</td>
                          {used.map((i) => (
                            <td key={i} class={layer.users.includes(i) ? 'cell on' : 'cell'}>
                              {layer.users.includes(i) ? '●' : ''}
                            </td>
                          ))}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </>
          );
        }}
      </Status>
    </section>
  );
}
