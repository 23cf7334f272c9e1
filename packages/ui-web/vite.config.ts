// The app is built by scripts/build.mjs into dist/ui, which `strata ui` serves; nothing is
// fetched from elsewhere at run time (no CDN), and no source maps are shipped.
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [preact()],
  base: '/',
  logLevel: 'warn',
  build: {
    emptyOutDir: true,
    sourcemap: false,
    // No inline scripts or styles: the server's Content-Security-Policy allows only its own files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
