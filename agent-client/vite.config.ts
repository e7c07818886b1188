import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';
import { wellKnownClient } from './well-known.ts';

/**
 * A single-page app served as static files. The homeserver URL is not baked in here: see src/config.ts (page
 * origin, runtime config.json, or ESPACE_AGENT_HOMESERVER_URL / VITE_HOMESERVER_URL at build or dev time).
 */
export default defineConfig({
  root: import.meta.dirname,
  envPrefix: ['ESPACE_AGENT_', 'VITE_'],
  plugins: [svelte({ configFile: false }), wellKnownClient()],
  server: { port: 5174, strictPort: false },
  preview: { port: 4174, strictPort: false },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true },
  test: {
    name: 'agent-client',
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
