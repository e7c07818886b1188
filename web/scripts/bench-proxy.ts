/**
 * The two ways the benchmark (bench.ts) reaches the site, each with the floor page on the site's own origin:
 *   - `node build`: a pass-through HTTP/1.1 proxy in front of the build the browser tests' stack serves, the
 *     Matrix and bot APIs on their own origins (cross-origin, as in the browser tests);
 *   - the production proxy: deploy/proxy/Caddyfile run by Caddy with TLS from its internal CA (HTTP/2, `encode`,
 *     the production headers) in front of a second `node build` configured as in production (Synapse and the bot
 *     on the site's origin, `/_matrix/*` and `/api/*`), as scripts/production.ts runs it. Chromium reaches it as
 *     https://site.test:PORT through --host-resolver-rules and ignores the local CA (the bench checks no
 *     certificate; tests/production does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const FLOOR_PATH = '/__floor';
export const PROXY_SITE_HOST = 'site.test';
const ROOT = resolve(import.meta.dirname, '../..');

export function freePort(): Promise<number> {
  return new Promise((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Floor pages by path (FLOOR_PATH, the reload's floor), served on the site's origin. */
export type FloorPages = Record<string, string>;

/** The floor page's own policy: its inline scripts by hash, requests to any origin (the APIs may be elsewhere). */
function floorPolicy(page: string): string {
  const hashes = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    ([, script]) => `'sha256-${createHash('sha256').update(script!).digest('base64')}'`,
  );
  return `default-src 'none'; script-src ${hashes.join(' ')}; connect-src *; base-uri 'none'`;
}

/** Serves the floor pages and forwards everything else to `target` (an http:// origin). */
export async function floorProxy(port: number, target: string, pages: FloorPages): Promise<Server> {
  const upstream = new URL(target);
  const server = createServer((incoming, outgoing) => {
    const floor = pages[incoming.url ?? ''];
    if (floor !== undefined) {
      outgoing.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // Behind the production proxy a page without a policy gets its default-src 'none', which would block the
        // floor's inline script: the floor says what it runs, as the site does.
        'content-security-policy': floorPolicy(floor),
      });
      outgoing.end(floor);
      return;
    }
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: incoming.url,
        method: incoming.method,
        headers: { ...incoming.headers, host: upstream.host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forward.on('error', () => outgoing.destroy());
    incoming.pipe(forward);
  });
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  return server;
}

async function waitForHttp(url: string, what: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}: ${log()}`);
    if (
      await fetch(url).then(
        (answer) => answer.ok,
        () => false,
      )
    )
      return;
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`timed out waiting for ${what} at ${url}: ${log()}`);
}

function spawnLogged(
  command: string,
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; log: () => string } {
  const child = spawn(command, args, {
    cwd: join(ROOT, 'web'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  return { child, log: () => stderr };
}

export interface ProductionProxy {
  /** https://site.test:PORT */
  origin: string;
  close(): Promise<void>;
}

/**
 * Caddy with the production Caddyfile in front of a second build of the site; `httpsPort` is chosen by the
 * caller before the stack starts, since the bot must know the origin (CORS) when it starts.
 */
export async function startProductionProxy(options: {
  httpsPort: number;
  homeserverUrl: string;
  botUrl: string;
  neutralUrl: string;
  siteBuild: string;
  floorPages: (origin: string) => FloorPages;
}): Promise<ProductionProxy> {
  const origin = `https://${PROXY_SITE_HOST}:${options.httpsPort}`;
  const [webPort, floorPort, httpPort, healthPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'espace-bench-caddy-'));
  const hostPort = (url: string) => new URL(url).host;
  const web = spawnLogged(process.execPath, [join(options.siteBuild, 'index.js')], {
    PORT: String(webPort),
    HOST: '127.0.0.1',
    ORIGIN: origin,
    PUBLIC_HOMESERVER_URL: origin,
    PUBLIC_BOT_API_URL: origin,
    PUBLIC_QUICK_EXIT_URL: options.neutralUrl,
  });
  const floor = await floorProxy(floorPort, `http://127.0.0.1:${webPort}`, options.floorPages(origin));
  const caddy = spawnLogged(
    'caddy',
    ['run', '--config', join(ROOT, 'deploy', 'proxy', 'Caddyfile'), '--adapter', 'caddyfile'],
    {
      ESPACE_SITE_HOST: `${PROXY_SITE_HOST}:${options.httpsPort}`,
      ESPACE_AGENTS_HOST: `agents.test:${options.httpsPort}`,
      ESPACE_TLS: 'internal',
      ESPACE_HTTP_PORT: String(httpPort),
      ESPACE_HTTPS_PORT: String(options.httpsPort),
      ESPACE_PROXY_BIND: '127.0.0.1',
      ESPACE_PROXY_HEALTH: `127.0.0.1:${healthPort}`,
      ESPACE_SYNAPSE_UPSTREAM: hostPort(options.homeserverUrl),
      ESPACE_BOT_UPSTREAM: hostPort(options.botUrl),
      ESPACE_WEB_UPSTREAM: `127.0.0.1:${floorPort}`,
      // No agents' client in the bench: its host answers 502, which nothing asks for.
      ESPACE_AGENT_CLIENT_UPSTREAM: `127.0.0.1:${await freePort()}`,
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_DATA_HOME: join(dir, 'data'),
    },
  );
  const stop = async (child: ChildProcess) => {
    if (child.exitCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await exited;
  };
  const close = async () => {
    await stop(caddy.child);
    await stop(web.child);
    await new Promise((done) => floor.close(done));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://127.0.0.1:${webPort}/`, 'the second site (node build)', web.child, web.log);
    await waitForHttp(`http://127.0.0.1:${healthPort}/healthz`, 'Caddy', caddy.child, caddy.log);
  } catch (error) {
    await close();
    throw error;
  }
  return { origin, close };
}
