import { useState } from 'preact/hooks';
import { useJson } from '../api.ts';
import type { ContainerChanges, ContainerRow } from '../api-types.ts';
import { humanSize, shortId, timeAgo } from '../format.ts';
import { Status } from './status.tsx';

function Changes({ id, generation }: { id: string; generation: number }) {
  const loaded = useJson<ContainerChanges>(`/api/containers/${encodeURIComponent(id)}/changes`, generation);
  return (
    <Status loaded={loaded}>
      {(c) => (
        <div class="changes">
          <h2>Writable layer of {shortId(c.id)}: {humanSize(c.sizeRw)}</h2>
          {c.changes.length === 0 ? (
            <p class="muted">No changes.</p>
          ) : (
            <ul>
              {c.changes.map((ch) => (
                <li key={ch.path} class={`mark-${ch.kind}`}>
                  <span class="mark">{ch.kind}</span> <span class="name">{ch.path}</span>
                </li>
              ))}
              {c.truncated && <li class="muted">More changes than shown.</li>}
            </ul>
          )}
        </div>
      )}
    </Status>
  );
}

export function ContainersView({ generation }: { generation: number }) {
  const loaded = useJson<ContainerRow[]>('/api/containers', generation);
  const [picked, setPicked] = useState<string | null>(null);
  return (
    <section>
      <h1>Containers</h1>
      <Status loaded={loaded}>
        {(rows) =>
          rows.length === 0 ? (
            <p class="muted">No containers.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>CONTAINER ID</th>
                  <th>IMAGE</th>
                  <th>CREATED</th>
                  <th>STATUS</th>
                  <th>SIZE</th>
                  <th>NAMES</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((c) => (
                  <tr key={c.id} class={picked === c.id ? 'picked' : ''}>
                    <td class="mono">
                      <button type="button" class="link" onClick={() => setPicked(c.id)}>
                        {shortId(c.id)}
                      </button>
                    </td>
                    <td>{c.image}</td>
                    <td>{timeAgo(c.created)}</td>
                    <td>{c.status}</td>
                    <td class="num">{humanSize(c.sizeRw)}</td>
                    <td>{c.name}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Status>
      {picked !== null && <Changes id={picked} generation={generation} />}
    </section>
  );
}
