import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The dashboard's source lives in web/, whichever directory Vite is started from. */
const root = decodeURIComponent(new URL('.', import.meta.url).pathname);

// `vite --config web/vite.config.ts` serves the app with hot reload and forwards the API to a
// Benchtop on :8080; `vite build` writes web/dist, which the Benchtop server serves at `/`.
const backend = process.env.BENCHTOP_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  server: {
    proxy: {
      '/api': { target: backend, ws: true },
      '/health': backend,
      '/metrics': backend,
    },
  },
});
