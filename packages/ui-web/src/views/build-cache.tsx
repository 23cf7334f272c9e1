import { useJson } from '../api.ts';
import type { BuildCacheRow, RecentBuild } from '../api-types.ts';
import { humanSize, shortId, timeAgo } from '../format.ts';
import { Status } from './status.tsx';

export function BuildCacheView({ generation }: { generation: number }) {
  const loaded = useJson<BuildCacheRow[]>('/api/build-cache', generation);
  const builds = useJson<RecentBuild[]>('/api/builds', generation);
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
      <h2>Recent builds</h2>
      <Status loaded={builds}>{(list) => <RecentBuilds builds={list} />}</Status>
    </section>
  );
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Each recent build's steps: CACHED, or why the step missed the cache. */
function RecentBuilds({ builds }: { builds: RecentBuild[] }) {
  if (builds.length === 0) return <p class="muted">No build recorded yet.</p>;
  return (
    <>
      {builds.map((b) => (
        <details class="build" key={b.id} open={b === builds[0]}>
          <summary>
            {timeAgo(b.startedAt / 1000)}, {seconds(b.durationMs)}: {b.tags.length > 0 ? b.tags.join(', ') : '<none>'}{' '}
            {b.error !== undefined ? <span class="error">failed: {b.error}</span> : <span class="mono">{shortId(b.imageId ?? '')}</span>}
          </summary>
          <table class="steps">
            <thead>
              <tr>
                <th>STEP</th>
                <th>CACHE</th>
                <th>TIME</th>
              </tr>
            </thead>
            <tbody>
              {b.steps.map((s, i) => (
                <tr key={i}>
                  <td>
                    <code class="instruction">{s.name}</code>
                  </td>
                  <td class={s.cached ? 'cached' : 'miss'}>{s.cached ? 'CACHED' : s.reason ?? 'ran'}</td>
                  <td class="num">{seconds(s.durationMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ))}
    </>
  );
}
