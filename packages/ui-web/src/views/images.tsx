import { useState } from 'preact/hooks';
import { useJson } from '../api.ts';
import type { ImageRow } from '../api-types.ts';
import { humanSize, shortId, splitTag, timeAgo } from '../format.ts';
import { href } from '../route.ts';
import { Status } from './status.tsx';

/** One row per name, as docker's `images` lists them (`<none>` for untagged images). */
interface Row {
  repository: string;
  tag: string;
  image: ImageRow;
}

type Key = 'repository' | 'tag' | 'id' | 'created' | 'size' | 'sharedSize' | 'uniqueSize' | 'containers';

const COLUMNS: [Key, string][] = [
  ['repository', 'REPOSITORY'],
  ['tag', 'TAG'],
  ['id', 'IMAGE ID'],
  ['created', 'CREATED'],
  ['size', 'SIZE'],
  ['sharedSize', 'SHARED SIZE'],
  ['uniqueSize', 'UNIQUE SIZE'],
  ['containers', 'CONTAINERS'],
];

function rowsOf(images: ImageRow[]): Row[] {
  return images.flatMap((image) =>
    image.repoTags.length === 0 ? [{ repository: '<none>', tag: '<none>', image }] : image.repoTags.map((name) => {
      const [repository, tag] = splitTag(name);
      return { repository, tag, image };
    }),
  );
}

function value(row: Row, key: Key): string | number {
  if (key === 'repository' || key === 'tag') return row[key];
  return row.image[key];
}

export function ImagesView({ generation }: { generation: number }) {
  const loaded = useJson<ImageRow[]>('/api/images', generation);
  const [sort, setSort] = useState<{ key: Key; descending: boolean }>({ key: 'created', descending: true });
  const onSort = (key: Key): void => setSort((s) => ({ key, descending: s.key === key ? !s.descending : key !== 'repository' && key !== 'tag' && key !== 'id' }));
  return (
    <section>
      <h1>Images</h1>
      <Status loaded={loaded}>
        {(images) => {
          const rows = rowsOf(images).sort((a, b) => {
            const va = value(a, sort.key);
            const vb = value(b, sort.key);
            const order = va < vb ? -1 : va > vb ? 1 : 0;
            return sort.descending ? -order : order;
          });
          return (
            <table class="images">
              <thead>
                <tr>
                  {COLUMNS.map(([key, label]) => (
                    <th key={key} aria-sort={sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
                      <button type="button" onClick={() => onSort(key)}>
                        {label}
                        {sort.key === key ? (sort.descending ? ' ▼' : ' ▲') : ''}
                      </button>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={`${row.image.id} ${row.repository}:${row.tag}`} data-image={row.image.id}>
                    <td>
                      <a href={href('image', row.image.id)}>{row.repository}</a>
                    </td>
                    <td>{row.tag}</td>
                    <td class="mono">{shortId(row.image.id)}</td>
                    <td>{timeAgo(row.image.created)}</td>
                    <td class="num">{humanSize(row.image.size)}</td>
                    <td class="num">{humanSize(row.image.sharedSize)}</td>
                    <td class="num">{humanSize(row.image.uniqueSize)}</td>
                    <td class="num">{row.image.containers}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          );
        }}
      </Status>
    </section>
  );
}
