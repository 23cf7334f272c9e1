import { useJson } from '../api.ts';
import type { DiskView as Disk } from '../api-types.ts';
import { humanSize, shortId } from '../format.ts';
import { href } from '../route.ts';
import { Status } from './status.tsx';
import { squarify } from './treemap.ts';

/** At most this many layers get their own rectangle; the rest would be specks. */
const TREEMAP_LAYERS = 150;
/** Width over height of the treemap's box (style.css). */
const TREEMAP_ASPECT = 3;

export function DiskView({ generation }: { generation: number }) {
  const loaded = useJson<Disk>('/api/disk', generation);
  return (
    <section>
      <h1>Disk</h1>
      <Status loaded={loaded}>
        {({ parts, layers }) => {
          const largest = Math.max(1, ...parts.map((p) => p.size));
          const shown = layers.filter((l) => l.size > 0).slice(0, TREEMAP_LAYERS);
          // Laid out in the box's own proportions (about 3:1), then given in percent.
          const rects = squarify(shown.map((l) => l.size), { x: 0, y: 0, w: TREEMAP_ASPECT, h: 1 });
          return (
            <>
              <table class="df">
                <thead>
                  <tr>
                    <th>TYPE</th>
                    <th>TOTAL</th>
                    <th>ACTIVE</th>
                    <th>SIZE</th>
                    <th>RECLAIMABLE</th>
                    <th class="chart-col" />
                  </tr>
                </thead>
                <tbody>
                  {parts.map((p) => (
                    <tr key={p.type}>
                      <td>{p.type}</td>
                      <td class="num">{p.total}</td>
                      <td class="num">{p.active}</td>
                      <td class="num">{humanSize(p.size)}</td>
                      <td class="num">
                        {humanSize(p.reclaimable)}
                        {p.size > 0 ? ` (${Math.trunc((p.reclaimable * 100) / p.size)}%)` : ''}
                      </td>
                      <td class="chart-col">
                        <div class="bar" style={{ width: `${(p.size / largest) * 100}%` }} title={`${humanSize(p.size)}, ${humanSize(p.reclaimable)} reclaimable`}>
                          <div class="bar-reclaimable" style={{ width: p.size > 0 ? `${(p.reclaimable / p.size) * 100}%` : '0' }} />
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p class="muted legend">
                <span class="swatch used" /> in use <span class="swatch reclaimable" /> reclaimable
              </p>
              <h2>Layers by size</h2>
              {shown.length === 0 ? (
                <p class="muted">No layers hold any bytes.</p>
              ) : (
                <div class="treemap">
                  {shown.map((layer, i) => {
                    const r = rects[i];
                    if (r === undefined) return null;
                    return (
                      <a
                        key={layer.chainId}
                        class="tile"
                        href={href('layer', layer.chainId)}
                        title={`${layer.image}: ${layer.createdBy} (${humanSize(layer.size)})`}
                        style={{ left: `${(r.x / TREEMAP_ASPECT) * 100}%`, top: `${r.y * 100}%`, width: `${(r.w / TREEMAP_ASPECT) * 100}%`, height: `${r.h * 100}%` }}
                      >
                        <span>
                          {humanSize(layer.size)} {layer.image || shortId(layer.chainId)}
                        </span>
                      </a>
                    );
                  })}
                </div>
              )}
            </>
          );
        }}
      </Status>
    </section>
  );
}
