import { useEffect, useState } from 'preact/hooks';
import { getJson, useJson } from '../api.ts';
import type { SearchResult, TreeListing, TreeNode } from '../api-types.ts';
import { humanSize, shortId } from '../format.ts';
import { Status } from './status.tsx';

const MARK_TITLES = { A: 'added', C: 'changed (there in a lower layer)', D: 'deleted' } as const;

/** The image the layer was opened from ('' for none): its later layers decide what is hidden. */
function imageQuery(image: string): string {
  return image === '' ? '' : `&image=${encodeURIComponent(image)}`;
}

function treeUrl(chainId: string, path: string, image: string): string {
  return `/api/layers/${encodeURIComponent(chainId)}/tree?path=${encodeURIComponent(path)}${imageQuery(image)}`;
}

const HIDDEN_TITLE = 'hidden: a later layer of the image overwrites or deletes it';

function Entry({ node, chainId, image, depth }: { node: TreeNode; chainId: string; image: string; depth: number }) {
  const [open, setOpen] = useState(false);
  const isDir = node.type === 'directory' && node.children > 0;
  return (
    <li class={`entry mark-${node.mark}${node.hidden ? ' hidden' : ''}`} data-path={node.path}>
      <div class="entry-row" style={{ paddingLeft: `${depth * 16}px` }}>
        <span class="mark" title={MARK_TITLES[node.mark]}>
          {node.mark}
        </span>
        {isDir ? (
          <button type="button" class="toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
            {open ? '▾' : '▸'} <span class="name">{node.name}</span>/
          </button>
        ) : (
          <span class="name">
            {node.name}
            {node.type === 'directory' ? '/' : ''}
          </span>
        )}
        {node.linkname !== '' && <span class="muted"> → {node.linkname}</span>}
        {node.hidden && (
          <span class="hidden-tag" title={HIDDEN_TITLE}>
            hidden
          </span>
        )}
        <span class="num size">{node.mark === 'D' ? '' : humanSize(node.size)}</span>
      </div>
      {open && <Children chainId={chainId} image={image} path={node.path} depth={depth + 1} />}
    </li>
  );
}

/** One directory's entries, fetched when it is opened: a big layer costs what is shown. */
function Children({ chainId, image, path, depth }: { chainId: string; image: string; path: string; depth: number }) {
  const [entries, setEntries] = useState<TreeNode[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<TreeListing>(treeUrl(chainId, path, image)).then((l) => setEntries(l.entries), (e: Error) => setError(e.message));
  }, [chainId, image, path]);
  if (error !== null) return <p class="error">{error}</p>;
  if (entries === null) return <p class="muted">Loading…</p>;
  return (
    <ul class="tree">
      {entries.map((node) => (
        <Entry key={node.path} node={node} chainId={chainId} image={image} depth={depth} />
      ))}
    </ul>
  );
}

function Search({ chainId, image }: { chainId: string; image: string }) {
  const [query, setQuery] = useState('');
  const [result, setResult] = useState<SearchResult | null>(null);
  useEffect(() => {
    if (query === '') {
      setResult(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      getJson<SearchResult>(`/api/layers/${encodeURIComponent(chainId)}/search?q=${encodeURIComponent(query)}${imageQuery(image)}`).then((r) => live && setResult(r), () => undefined);
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [chainId, image, query]);
  return (
    <div class="search">
      <input type="search" placeholder="Search paths…" aria-label="search paths" value={query} onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
      {result !== null && (
        <ul class="matches">
          {result.matches.map((m) => (
            <li key={m.path} class={`mark-${m.mark}${m.hidden ? ' hidden' : ''}`}>
              <span class="mark">{m.mark}</span> <span class="name">{m.path}</span> <span class="num">{m.mark === 'D' ? '' : humanSize(m.size)}</span>
              {m.hidden && (
                <span class="hidden-tag" title={HIDDEN_TITLE}>
                  hidden
                </span>
              )}
            </li>
          ))}
          {result.matches.length === 0 && <li class="muted">No path matches.</li>}
          {result.truncated && <li class="muted">More paths match; narrow the search.</li>}
        </ul>
      )}
    </div>
  );
}

export function LayerView({ chainId, image, generation }: { chainId: string; image: string; generation: number }) {
  const top = useJson<TreeListing>(treeUrl(chainId, '/', image), generation);
  return (
    <section>
      <h1>Layer {shortId(chainId)}</h1>
      <Status loaded={top}>
        {(listing) => (
          <>
            <p class="muted layer-summary">
              {listing.fileCount} files, {humanSize(listing.totalSize)}. <span class="mark-A">A</span> added, <span class="mark-C">C</span> changed, <span class="mark-D">D</span> deleted, against the layers below.
              {image !== '' && ' Paths a later layer of the image overwrites or deletes are marked hidden.'}
            </p>
            <Search chainId={chainId} image={image} />
            <ul class="tree root">
              {listing.entries.map((node) => (
                <Entry key={node.path} node={node} chainId={chainId} image={image} depth={0} />
              ))}
            </ul>
          </>
        )}
      </Status>
    </section>
  );
}
