import { useJson } from '../api.ts';
import type { BuildCacheRow } from '../api-types.ts';
import { humanSize, shortId, timeAgo } from '../format.ts';
import { Status } from './status.tsx';

export function BuildCacheView({ generation }: { generation: number }) {
  const loaded = useJson<BuildCacheRow[]>('/api/build-cache', generation);
  return (
    <section>
      <h1>Build cache</h1>
      <Status loaded={loaded}>
        {(rows) => {
          const sorted = [...rows].sort((a, b) => b.lastUsedAt - a.lastUsedAt);
          const own = rows.filter((r) => !r.shared).reduce((a, r) => a + r.size, 0);
          return rows.length === 0 ? (
            <p class="muted">The build cache is empty.</p>
          ) : (
            <>
              <p>
                {rows.length} entries; {humanSize(own)} not shared with an image (what <code>builder prune</code> frees).
              </p>
              <table>
                <thead>
                  <tr>
                    <th>CACHE ID</th>
                    <th>CACHE TYPE</th>
                    <th>SIZE</th>
                    <th>CREATED</th>
                    <th>LAST USED</th>
                    <th>USAGE</th>
                    <th>SHARED</th>
                    <th>DESCRIPTION</th>
                  </tr>
                </thead>
                <tbody>
                  {sorted.map((r) => (
                    <tr key={r.id}>
                      <td class="mono">{shortId(r.id)}</td>
                      <td>{r.type}</td>
                      <td class="num">{humanSize(r.size)}</td>
                      <td>{timeAgo(r.createdAt / 1000)}</td>
                      <td>{timeAgo(r.lastUsedAt / 1000)}</td>
                      <td class="num">{r.usageCount}</td>
                      <td>{r.shared ? 'true' : 'false'}</td>
                      <td>
                        <code class="instruction">{r.description}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          );
        }}
      </Status>
    </section>
  );
}
