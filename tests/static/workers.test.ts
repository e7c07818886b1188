/**
 * The scaled-out profile (docker-compose.yml, profile `workers`), checked without a Docker engine:
 * - every endpoint Synapse's worker documentation assigns to a generic worker (client side: federation is off,
 *   the admin API is never public, SSO is not configured) is taken by one worker of synapse/src/workers.ts,
 *   appears in the proxy's routes to that worker, and real requests are routed there (the routes are read and
 *   simulated);
 * - every worker named (routes, instance map, stream writers, Redis) exists as a service of the profile, with
 *   the port its configuration listens on, and every Synapse service of the profile is a worker we configure;
 * - the committed routes are the rendering, and the compose render writes the worker configuration only when
 *   the profile is on.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SYNAPSE_IMAGE } from '@espace-mineurs/synapse';
import { renderForCompose } from '../../synapse/config/compose/render.ts';
import {
  MAIN_REPLICATION_PORT,
  REDIS,
  renderCaddyRoutes,
  ROUTE_GROUPS,
  WORKERS,
  type RouteGroupId,
} from '../../synapse/src/workers.ts';
import { EXAMPLE_ENV, interpolate, parseCaddyfile, RAW, read, ROOT, type ComposeFile, type Service } from './files.ts';

const ROUTES_PATH = 'deploy/proxy/routes/workers/synapse-workers.caddy';
const ROUTES = read(ROUTES_PATH);
type WorkerService = Service & { profiles?: string[] };
const missing: string[] = [];
const SCALED = parse(interpolate(RAW, { ...EXAMPLE_ENV, COMPOSE_PROFILES: 'workers' }, missing)) as ComposeFile & {
  services: Record<string, WorkerService>;
};
const MAIN = 'synapse:8008';

/** The routes file as Caddy runs it inside `/_matrix/*`: named matchers, then reverse_proxy lines in order. */
function routesOf(
  text: string,
): Array<{ name: string; methods?: string[]; regexp: RegExp; source: string; upstream: string }> {
  const root = parseCaddyfile(text);
  const matchers = new Map(
    root.blocks
      .filter((block) => block.head.startsWith('@'))
      .map((block) => {
        const method = block.lines.find((line) => line.startsWith('method '));
        const regexp = block.lines.find((line) => line.startsWith('path_regexp '));
        expect(regexp, `${block.head} has a path_regexp`).toBeDefined();
        const source = regexp!.slice('path_regexp '.length).trim();
        return [
          block.head,
          { ...(method ? { methods: method.split(/\s+/).slice(1) } : {}), source, regexp: new RegExp(source) },
        ] as const;
      }),
  );
  return root.lines
    .filter((line) => line.startsWith('reverse_proxy '))
    .map((line) => {
      const [, name, upstream] = line.split(/\s+/);
      const matcher = matchers.get(name!);
      expect(matcher, `${line}: matcher ${name} is defined`).toBeDefined();
      return { name: name!, ...matcher!, upstream: upstream! };
    });
}
const routes = routesOf(ROUTES);

function upstreamOf(method: string, path: string): string {
  const hit = routes.find((route) => (!route.methods || route.methods.includes(method)) && route.regexp.test(path));
  return hit?.upstream ?? MAIN;
}

describe('Synapse workers (profile `workers`)', () => {
  it('gives every documented group of generic-worker endpoints to exactly one worker', () => {
    const taken = WORKERS.flatMap((worker) => worker.routes);
    expect([...taken].sort()).toEqual((Object.keys(ROUTE_GROUPS) as RouteGroupId[]).sort());
    expect(new Set(taken).size).toBe(taken.length);
  });

  it('routes every documented endpoint of each group to its worker', () => {
    for (const worker of WORKERS) {
      for (const id of worker.routes) {
        const group = ROUTE_GROUPS[id];
        const mine = routes.filter((route) => route.upstream === `${worker.name}:${worker.port}`);
        for (const pattern of group.patterns) {
          const route = mine.find(
            (item) =>
              item.source === pattern ||
              item.source.includes(`|${pattern}|`) ||
              item.source.startsWith(`(${pattern}|`) ||
              item.source.endsWith(`|${pattern})`),
          );
          expect(route, `${group.title}: ${pattern} → ${worker.name}`).toBeDefined();
          expect(route!.methods ?? null, `${group.title}: methods`).toEqual(
            'methods' in group ? [...group.methods] : null,
          );
        }
      }
    }
  });

  it('sends real requests where the documentation says, and the rest to the main process', () => {
    const room = '!abc:espace-mineurs.example.fr';
    const user = '@guest-1:espace-mineurs.example.fr';
    const cases: Array<[string, string, string]> = [
      ['GET', '/_matrix/client/v3/sync', 'synapse-sync:8083'],
      ['GET', '/_matrix/client/r0/sync', 'synapse-sync:8083'],
      ['GET', `/_matrix/client/v3/rooms/${room}/initialSync`, 'synapse-sync:8083'],
      ['POST', '/_matrix/client/v3/register', 'synapse-client:8083'],
      ['POST', '/_matrix/client/v3/login', 'synapse-client:8083'],
      ['POST', '/_matrix/client/v3/createRoom', 'synapse-client:8083'],
      ['PUT', `/_matrix/client/v3/rooms/${room}/send/m.room.message/txn1`, 'synapse-client:8083'],
      ['PUT', `/_matrix/client/v3/rooms/${room}/state/m.room.name/`, 'synapse-client:8083'],
      ['GET', `/_matrix/client/v3/rooms/${room}/state`, 'synapse-client:8083'],
      ['POST', `/_matrix/client/v3/join/${room}`, 'synapse-client:8083'],
      ['POST', `/_matrix/client/v3/rooms/${room}/kick`, 'synapse-client:8083'],
      ['GET', `/_matrix/client/v3/rooms/${room}/messages`, 'synapse-client:8083'],
      ['GET', `/_matrix/client/v3/rooms/${room}/members`, 'synapse-client:8083'],
      ['GET', `/_matrix/client/v3/profile/${user}`, 'synapse-client:8083'],
      ['GET', '/_matrix/client/versions', 'synapse-client:8083'],
      ['GET', '/_matrix/client/v3/account/whoami', 'synapse-client:8083'],
      ['POST', '/_matrix/client/v3/user_directory/search', 'synapse-client:8083'],
      ['POST', '/_matrix/client/v3/keys/query', 'synapse-client:8083'],
      ['GET', `/_matrix/client/v3/user/${user}/account_data/m.push_rules`, 'synapse-client:8083'],
      ['GET', '/_matrix/client/v3/pushrules/', 'synapse-client:8083'],
      // Writes the documentation keeps on the main process (or on stream writers we do not run).
      ['PUT', '/_matrix/client/v3/pushrules/global/override/x', MAIN],
      ['PUT', `/_matrix/client/v3/user/${user}/account_data/x`, MAIN],
      ['PUT', `/_matrix/client/v3/presence/${user}/status`, MAIN],
      ['PUT', `/_matrix/client/v3/rooms/${room}/typing/${user}`, MAIN],
      ['POST', `/_matrix/client/v3/rooms/${room}/receipt/m.read/$e`, MAIN],
      ['PUT', '/_matrix/client/v3/sendToDevice/m.x/txn', MAIN],
      ['POST', '/_matrix/client/v3/logout', MAIN],
    ];
    for (const [method, path, upstream] of cases) expect(upstreamOf(method, path), `${method} ${path}`).toBe(upstream);
  });

  it('routes nothing the proxy fences off (federation, keys, the admin API)', () => {
    for (const route of routes)
      expect(route.source, route.name).not.toMatch(/_matrix\/(federation|key)|_synapse\/admin/);
    const caddyfile = read('deploy/proxy/Caddyfile');
    // The routes are imported inside the /_matrix/* handler only, so the more specific fences still answer 404.
    const matrix = parseCaddyfile(caddyfile).blocks.find((block) => block.head === '(matrix)')!;
    const handler = matrix.blocks.find((block) => block.head === 'handle /_matrix/*')!;
    const imports = handler.lines.filter((line) => line.startsWith('import '));
    expect(imports).toEqual(['import {$ESPACE_PROXY_ROUTES:/etc/caddy/synapse-routes}/*.caddy']);
    // Caddy tries a reverse_proxy without a matcher last: the main process takes whatever no worker named.
    expect(handler.lines.at(-1)).toMatch(/^reverse_proxy \{\$ESPACE_SYNAPSE_UPSTREAM:synapse:8008\}$/);
  });

  it('is what synapse/src/workers.ts renders (node synapse/config/compose/render-routes.ts)', () => {
    expect(ROUTES).toBe(renderCaddyRoutes());
  });

  it('points the proxy at these routes only when the profile is on', () => {
    expect(missing).toEqual([]);
    expect(SCALED.services.proxy!.volumes).toContain('./deploy/proxy/routes/workers:/etc/caddy/synapse-routes:ro');
    const single = parse(interpolate(RAW, EXAMPLE_ENV, [])) as ComposeFile;
    expect(single.services.proxy!.volumes).toContain('./deploy/proxy/routes/default:/etc/caddy/synapse-routes:ro');
    expect(readdirSync(join(ROOT, 'deploy/proxy/routes/default')).filter((name) => name.endsWith('.caddy'))).toEqual(
      [],
    );
    expect(readdirSync(join(ROOT, 'deploy/proxy/routes/workers'))).toEqual(['synapse-workers.caddy']);
    expect(SCALED.services['synapse-config']!.environment?.ESPACE_COMPOSE_PROFILES).toBe('workers');
  });

  it('runs every worker named, and configures every Synapse service of the profile', () => {
    const profile = Object.entries(SCALED.services).filter(([, service]) => service.profiles?.includes('workers'));
    const synapses = profile.filter(([, service]) => service.image === SYNAPSE_IMAGE).map(([name]) => name);
    expect(synapses.sort()).toEqual(WORKERS.map((worker) => worker.name).sort());
    for (const worker of WORKERS) {
      const service = SCALED.services[worker.name]!;
      expect(service.command?.join(' '), worker.name).toContain(
        `--config-path /data/homeserver.yaml --config-path /data/workers/${worker.name}.yaml`,
      );
      expect(service.command?.join(' '), worker.name).toContain('synapse.app.generic_worker');
      expect(service.healthcheck?.test.join(' '), worker.name).toContain(`http://127.0.0.1:${worker.port}/health`);
      expect(service.networks, worker.name).toContain('replication');
      expect(service.networks, worker.name).toContain('db');
      expect(service.depends_on, worker.name).toHaveProperty('redis');
      // The proxy reaches a worker only if it serves client endpoints.
      expect(service.networks?.includes('backend') ?? false, worker.name).toBe(worker.routes.length > 0);
    }
    for (const route of routes) {
      const [host, port] = route.upstream.split(':');
      const worker = WORKERS.find((item) => item.name === host);
      expect(worker, `${route.upstream} is a worker`).toBeDefined();
      expect(Number(port)).toBe(worker!.port);
      expect(SCALED.services[host!]?.profiles, host).toContain('workers');
    }
    expect(SCALED.services[REDIS.host]?.profiles).toContain('workers');
    expect(SCALED.services[REDIS.host]?.networks).toEqual(['replication']);
    expect(SCALED.services.synapse!.networks).toContain('replication');
  });

  const dir = mkdtempSync(join(tmpdir(), 'espace-workers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const secrets = () => {
    writeFileSync(join(dir, 'pg'), 'p'.repeat(40));
    writeFileSync(join(dir, 'reg'), 'r'.repeat(40));
    return { POSTGRES_PASSWORD_FILE: join(dir, 'pg'), ESPACE_REGISTRATION_SECRET_FILE: join(dir, 'reg') };
  };
  const env = (extra: Record<string, string>) => ({
    ESPACE_SERVER_NAME: 'espace-mineurs.example.fr',
    ESPACE_PUBLIC_BASEURL: 'https://espace-mineurs.example.fr/',
    POSTGRES_HOST: 'postgres',
    POSTGRES_DB: 'synapse',
    POSTGRES_USER: 'synapse',
    ...secrets(),
    ...extra,
  });

  it('renders the shared settings and one file per worker when the profile is on, with the same render code', () => {
    const out = join(dir, 'on');
    const rendered = renderForCompose(env({ ESPACE_COMPOSE_PROFILES: 'workers' }), out, '/data');
    const homeserver = parse(readFileSync(rendered.homeserverPath, 'utf8')) as Record<string, unknown> & {
      listeners: Array<{ port: number; resources: Array<{ names: string[] }> }>;
      instance_map: Record<string, { host: string; port: number }>;
      stream_writers: { events: string[] };
      redis: { enabled: boolean; host: string; port: number };
      worker_replication_secret: string;
      database: { name: string };
    };
    expect(homeserver.database.name).toBe('psycopg2');
    expect(homeserver.redis).toEqual({ enabled: true, host: REDIS.host, port: REDIS.port });
    expect(homeserver.worker_replication_secret.length).toBeGreaterThanOrEqual(32);
    expect(
      homeserver.listeners.some(
        (listener) =>
          listener.port === MAIN_REPLICATION_PORT &&
          listener.resources.some((resource) => resource.names.includes('replication')),
      ),
    ).toBe(true);
    expect(homeserver.instance_map.main).toEqual({ host: 'synapse', port: MAIN_REPLICATION_PORT });
    for (const [name, address] of Object.entries(homeserver.instance_map)) {
      if (name === 'main') continue;
      const worker = WORKERS.find((item) => item.name === name);
      expect(worker, name).toBeDefined();
      expect(address).toEqual({ host: name, port: worker!.port });
      expect(SCALED.services[name], name).toBeDefined();
    }
    expect(homeserver.stream_writers.events).toEqual(
      WORKERS.filter((worker) => worker.streams?.includes('events')).map((worker) => worker.name),
    );
    for (const writer of homeserver.stream_writers.events) expect(homeserver.instance_map).toHaveProperty(writer);
    expect(rendered.workerPaths.length).toBe(WORKERS.length);
    for (const worker of WORKERS) {
      const config = parse(readFileSync(join(out, 'workers', `${worker.name}.yaml`), 'utf8')) as {
        worker_app: string;
        worker_name: string;
        worker_log_config: string;
        worker_listeners: Array<{ port: number; resources: Array<{ names: string[] }> }>;
      };
      expect(config.worker_app).toBe('synapse.app.generic_worker');
      expect(config.worker_name).toBe(worker.name);
      expect(config.worker_listeners.map((listener) => listener.port)).toEqual([worker.port]);
      expect(config.worker_listeners[0]!.resources[0]!.names).toEqual(
        worker.streams?.length ? ['replication'] : ['client'],
      );
      expect(config.worker_log_config).toBe(`/data/workers/${worker.name}.log.yaml`);
      // Each process writes its own log file.
      expect(readFileSync(join(out, 'workers', `${worker.name}.log.yaml`), 'utf8')).toContain(
        `/data/${worker.name}.log`,
      );
    }
    // The secret is kept across renders (every process must hold the same one).
    const again = parse(
      readFileSync(renderForCompose(env({ ESPACE_COMPOSE_PROFILES: 'workers' }), out, '/data').homeserverPath, 'utf8'),
    ) as { worker_replication_secret: string };
    expect(again.worker_replication_secret).toBe(homeserver.worker_replication_secret);
  });

  it('renders none of it without the profile', () => {
    const out = join(dir, 'off');
    const rendered = renderForCompose(env({}), out, '/data');
    const homeserver = parse(readFileSync(rendered.homeserverPath, 'utf8')) as Record<string, unknown>;
    expect(rendered.workerPaths).toEqual([]);
    for (const key of ['redis', 'instance_map', 'stream_writers', 'worker_replication_secret'])
      expect(homeserver, key).not.toHaveProperty(key);
  });
});
