import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * One bundle for every screen: the teacher console and board view (desktop
 * windows or the browser-mode launcher) and the device pages that student
 * tablets and group screens open from the hub. `base: './'` lets the same
 * files load from the hub's HTTP server and from the desktop app's own protocol.
 */
export default defineConfig({
  root,
  base: './',
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome87',
    chunkSizeWarningLimit: 800,
  },
  server: { host: '127.0.0.1' },
});
