import adapter from '@sveltejs/adapter-node';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import { CSP_DIRECTIVES } from './src/lib/security/csp.ts';

export default defineConfig({
  plugins: [
    sveltekit({
      adapter: adapter(),
      // Hashes, not nonces: pages stay cacheable by the browser except the chat (no-store, set in hooks).
      // connect-src is rewritten per request in hooks.server.ts from the runtime URLs (PUBLIC_*),
      // so one build can be deployed against any homeserver and bot.
      csp: { mode: 'hash', directives: CSP_DIRECTIVES },
      // One history entry per visit is not wanted site-wide (Back must work between content pages);
      // links into and out of the chat opt into replaceState themselves.
    }),
  ],
  server: { port: 5173, strictPort: true },
  preview: { port: 4173, strictPort: true },
  build: { target: 'es2022' },
});
