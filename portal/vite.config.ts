import { defineConfig } from 'vite';

/**
 * The portal is served by the API process under /portal, assets by content hash under
 * /portal/assets (cached for a year), so `base` is /portal/. No inline script or style is
 * emitted: the page's Content-Security-Policy allows only this origin's files.
 */
export default defineConfig({
  base: '/portal/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    modulePreload: { polyfill: false },
  },
});
