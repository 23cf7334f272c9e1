import { useGeneration } from './api.ts';
import { href, useRoute } from './route.ts';
import { BuildCacheView } from './views/build-cache.tsx';
import { ContainersView } from './views/containers.tsx';
import { DiffView } from './views/diff.tsx';
import { DiskView } from './views/disk.tsx';
import { ImageView } from './views/image.tsx';
import { ImagesView } from './views/images.tsx';
import { LayerView } from './views/layer.tsx';
import { SharingView } from './views/sharing.tsx';

const TABS: [string, string][] = [
  ['images', 'Images'],
  ['sharing', 'Sharing'],
  ['diff', 'Diff'],
  ['disk', 'Disk'],
  ['containers', 'Containers'],
  ['build-cache', 'Build cache'],
];

export function App() {
  const route = useRoute();
  const { generation, connected } = useGeneration();
  const current = route.view === 'image' || route.view === 'layer' ? 'images' : route.view;
  return (
    <>
      <header>
        <strong class="brand">strata</strong>
        <nav>
          {TABS.map(([view, label]) => (
            <a key={view} href={href(view)} class={current === view ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <span class={connected ? 'live on' : 'live'} title="follows changes other strata commands make">
          {connected ? 'live' : 'offline'}
        </span>
      </header>
      <main>
        {route.view === 'images' && <ImagesView generation={generation} />}
        {route.view === 'image' && <ImageView id={route.arg} generation={generation} />}
        {route.view === 'layer' && <LayerView chainId={route.arg} image={route.arg2} generation={generation} />}
        {route.view === 'sharing' && <SharingView generation={generation} />}
        {route.view === 'diff' && <DiffView a={route.arg} b={route.arg2} generation={generation} />}
        {route.view === 'disk' && <DiskView generation={generation} />}
        {route.view === 'containers' && <ContainersView generation={generation} />}
        {route.view === 'build-cache' && <BuildCacheView generation={generation} />}
      </main>
    </>
  );
}
