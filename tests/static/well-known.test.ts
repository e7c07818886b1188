/**
 * `/.well-known/matrix/client` on the agents' host, so Element (or any Matrix client) given the agents' address
 * finds the homeserver: in the proxy (deploy/proxy/Caddyfile) and in the agents' dev server (npm start).
 */
import { describe, expect, it } from 'vitest';
import type { Connect, Plugin, ViteDevServer } from 'vite';
import { wellKnownClient } from '../../agent-client/well-known.ts';
import { caddyfileForCompose, handlersOf, parseCaddyfile, read, route } from './files.ts';

const PATH = '/.well-known/matrix/client';

describe('/.well-known/matrix/client', () => {
  const caddyfile = parseCaddyfile(caddyfileForCompose(read('deploy/proxy/Caddyfile')));
  const snippets = new Map(
    caddyfile.blocks.filter((block) => /^\(.+\)$/.test(block.head)).map((block) => [block.head.slice(1, -1), block]),
  );
  const site = (head: string) => caddyfile.blocks.find((block) => block.head === head)!;

  it('is answered by the proxy on the agents host with this host as the homeserver, in JSON with CORS', () => {
    const agents = site('{$ESPACE_AGENTS_HOST}');
    const answer = route(handlersOf(agents, snippets), PATH);
    expect(answer.startsWith('respond ')).toBe(true);
    const json = /`(.+)`/.exec(answer)?.[1];
    expect(JSON.parse(json!.replace('{http.request.hostport}', 'agents.example.fr'))).toEqual({
      'm.homeserver': { base_url: 'https://agents.example.fr' },
    });
    const block = agents.blocks.find((candidate) => candidate.head === `handle ${PATH}`)!;
    expect(block.lines).toContain('header Content-Type application/json');
    expect(block.lines).toContain('header Access-Control-Allow-Origin *');
    // The young people's site has no Matrix client to point anywhere: it stays with the site.
    expect(route(handlersOf(site('{$ESPACE_SITE_HOST}'), snippets), PATH)).toBe('web:3000');
  });

  it('is answered by the agents dev server with the homeserver the client is configured with', async () => {
    let handler: Connect.NextHandleFunction | undefined;
    let mounted: string | undefined;
    const server = {
      middlewares: { use: (path: string, fn: Connect.NextHandleFunction) => ((mounted = path), (handler = fn)) },
    } as unknown as ViteDevServer;
    const plugin: Plugin = wellKnownClient({ ESPACE_AGENT_HOMESERVER_URL: 'http://127.0.0.1:8008' });
    (plugin.configureServer as (server: ViteDevServer) => void)(server);
    expect(mounted).toBe(PATH);
    const headers = new Map<string, string>();
    let body = '';
    const response = {
      statusCode: 200,
      setHeader: (name: string, value: string) => headers.set(name, value),
      end: (text?: string) => (body = text ?? ''),
    };
    handler!({} as never, response as never, () => undefined);
    expect(response.statusCode).toBe(200);
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('access-control-allow-origin')).toBe('*');
    expect(JSON.parse(body)).toEqual({ 'm.homeserver': { base_url: 'http://127.0.0.1:8008' } });
  });
});
