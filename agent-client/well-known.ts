import type { Plugin } from 'vite';

/**
 * `/.well-known/matrix/client` on the agents' dev server (`npm start`, the browser tests), as the proxy serves it
 * in production (deploy/proxy/Caddyfile): Element given the agents' address finds the homeserver. The URL is the
 * one the client itself is configured with (ESPACE_AGENT_HOMESERVER_URL, or VITE_HOMESERVER_URL).
 */
export function wellKnownClient(env: NodeJS.ProcessEnv = process.env): Plugin {
  return {
    name: 'espace-well-known-matrix-client',
    configureServer(server) {
      server.middlewares.use('/.well-known/matrix/client', (_request, response) => {
        const baseUrl = env.ESPACE_AGENT_HOMESERVER_URL || env.VITE_HOMESERVER_URL;
        if (!baseUrl) {
          response.statusCode = 404;
          response.end();
          return;
        }
        response.setHeader('content-type', 'application/json');
        response.setHeader('access-control-allow-origin', '*');
        response.end(JSON.stringify({ 'm.homeserver': { base_url: baseUrl } }));
      });
    },
  };
}
