/**
 * docker-compose.yml, checked without a Docker engine (none runs on our machines, see docs/environment.md):
 * - against the Compose specification's JSON schema (shipped by the npm package dclint, validated with ajv);
 * - for what matters to this service: Synapse pinned to SYNAPSE_IMAGE and on PostgreSQL with C collation, only
 *   the proxy published, the admin API and federation never routed by the proxy (its Caddyfile is read and its
 *   routing simulated), every image pinned, secrets out of git, Synapse's config rendered from the template.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SYNAPSE_IMAGE } from '@espace-mineurs/synapse';
import { REQUIRED_ENV, renderForCompose } from '../../synapse/config/compose/render.ts';
import {
  caddyfileForCompose,
  caddyVariables,
  COMPOSE,
  EXAMPLE_ENV,
  handlersOf,
  MISSING,
  parseCaddyfile,
  RAW,
  read,
  ROOT,
  route,
  services,
} from './files.ts';

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    const schemaPath = join(
      dirname(createRequire(import.meta.url).resolve('dclint/package.json')),
      'schemas/compose.schema.json',
    );
    const { $schema: draft, ...schema } = JSON.parse(readFileSync(schemaPath, 'utf8')) as {
      $schema: string;
      $id: string;
    };
    expect(schema.$id).toBe('compose_spec.json');
    // Written for draft-07, ajv's default, under a URL ajv does not know by that spelling (https, no '#').
    expect(draft).toMatch(/draft-07/);
    // The spec's schema uses union types and keywords ajv's strict mode rejects; dclint validates the same way.
    const validate = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);
    const valid = validate(COMPOSE);
    const errors = (validate.errors ?? []).map(
      (error) => `${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`,
    );
    expect(errors).toEqual([]);
    expect(valid).toBe(true);
    // Compiling the whole specification takes seconds on a busy machine.
  }, 60_000);

  it('needs no variable that deploy/env.example does not give', () => {
    expect(MISSING).toEqual([]);
  });

  it('refers only to services, networks, volumes and secrets it declares', () => {
    const declaredVolumes = Object.keys((parse(RAW) as { volumes: object }).volumes);
    for (const [name, service] of services) {
      for (const dependency of Object.keys(service.depends_on ?? {}))
        expect(COMPOSE.services, `${name} depends on ${dependency}`).toHaveProperty(dependency);
      for (const network of service.networks ?? [])
        expect(COMPOSE.networks, `${name} joins ${network}`).toHaveProperty(network);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/'))
          expect(declaredVolumes, `${name} mounts ${source}`).toContain(source);
      }
    }
  });

  it('runs the Synapse image named by SYNAPSE_IMAGE', () => {
    expect(COMPOSE.services.synapse?.image).toBe(SYNAPSE_IMAGE);
  });

  it('publishes ports from the proxy only, and never one of Synapse', () => {
    const publishing = services.filter(([, service]) => (service.ports ?? []).length > 0).map(([name]) => name);
    expect(publishing).toEqual(['proxy']);
    const targets = (COMPOSE.services.proxy!.ports ?? []).map((port) =>
      typeof port === 'string' ? Number(port.split(':').at(-1)!.split('/')[0]) : port.target,
    );
    expect(new Set(targets)).toEqual(new Set([80, 443]));
    for (const [name, service] of services) expect(service.network_mode ?? '', `${name} network_mode`).not.toBe('host');
    expect(COMPOSE.services.synapse).not.toHaveProperty('ports');
  });

  it('keeps Synapse, the database and the apps on internal networks', () => {
    expect(COMPOSE.networks.backend?.internal).toBe(true);
    expect(COMPOSE.networks.db?.internal).toBe(true);
    expect(COMPOSE.services.postgres?.networks).toEqual(['db']);
    const onDb = services.filter(([, service]) => service.networks?.includes('db')).map(([name]) => name);
    // Synapse's workers (profile `workers`) read and write the same database as the main process.
    expect(
      onDb.filter((name) => !(COMPOSE.services[name]?.image === SYNAPSE_IMAGE && name.startsWith('synapse-'))).sort(),
    ).toEqual(['postgres', 'synapse']);
    const withAWayOut = services.filter(([, service]) =>
      service.networks?.some((network) => !COMPOSE.networks[network]?.internal),
    );
    // The proxy (clients, ACME) and Alertmanager (the receivers: mail relay, SMS or pager gateway), on networks
    // of their own.
    expect(withAWayOut.map(([name]) => name).sort()).toEqual(['alertmanager', 'proxy']);
    const alerting = (COMPOSE.services.alertmanager?.networks ?? []).filter(
      (network) => !COMPOSE.networks[network]?.internal,
    );
    expect(alerting).toEqual(['alerting']);
    expect(services.filter(([, service]) => service.networks?.includes('alerting')).map(([name]) => name)).toEqual([
      'alertmanager',
    ]);
  });

  it('creates the PostgreSQL database with the encoding and collation Synapse requires', () => {
    const args = COMPOSE.services.postgres?.environment?.POSTGRES_INITDB_ARGS ?? '';
    expect(args).toMatch(/--encoding=UTF-?8\b/);
    expect(args).toMatch(/--lc-collate=C\b/);
    expect(args).toMatch(/--lc-ctype=C\b/);
  });

  it('pins every image, in the file and in the Dockerfiles it builds', () => {
    const images: Array<[string, string]> = [];
    for (const [name, service] of services) {
      if (service.image) images.push([`service ${name}`, service.image]);
      if (service.build) {
        const dockerfile = read(join(service.build.context, service.build.dockerfile));
        const stages = new Set<string>();
        for (const [, image, stage] of dockerfile.matchAll(/^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/gim)) {
          if (!stages.has(image!)) images.push([service.build.dockerfile, image!]);
          if (stage) stages.add(stage);
        }
        for (const [, image] of dockerfile.matchAll(/COPY\s+--from=([^\s]+:[^\s]+)/g))
          images.push([service.build.dockerfile, image!]);
      }
    }
    expect(images.length).toBeGreaterThan(5);
    for (const [where, image] of images) {
      const tag = /^[^@]+:([^/@]+)$/.exec(image)?.[1];
      expect(tag, `${where}: ${image} has no tag`).toBeDefined();
      expect(['latest', 'stable', 'lts', 'current', 'alpine', 'slim'], `${where}: ${image}`).not.toContain(tag);
      // A version number, not a moving name: "17.9-bookworm" yes, "bookworm" no.
      expect(tag, `${where}: ${image} is not pinned to a version`).toMatch(/^v?\d+\.\d+/);
    }
    // Containers run the Node the repository develops and tests with (root package.json, devDependencies.node).
    const node = (JSON.parse(read('package.json')) as { devDependencies: Record<string, string> }).devDependencies.node;
    for (const [where, image] of images.filter(([, image]) => image.startsWith('node:'))) {
      expect(image, where).toMatch(new RegExp(`^node:${node!.replace(/\./g, '\\.')}-`));
    }
  });

  it('restarts and health-checks every long-running service', () => {
    for (const [name, service] of services) {
      if (name === 'synapse-config' || name === 'bootstrap') {
        expect(service.restart).toBe('no');
        continue;
      }
      expect(service.restart, name).toBe('unless-stopped');
      expect(service.healthcheck?.test?.length, `${name} healthcheck`).toBeGreaterThan(0);
    }
  });

  it('keeps secrets out of the file and out of git', () => {
    for (const [name, secret] of Object.entries(COMPOSE.secrets)) {
      expect(secret.file, name).toMatch(/^\.\/deploy\/secrets\/[a-z_]+$/);
      const ignored = spawnSync('git', ['check-ignore', '--no-index', '-q', secret.file], { cwd: ROOT });
      expect(ignored.status, `${secret.file} must be git-ignored`).toBe(0);
    }
    for (const [name, service] of services) {
      for (const key of Object.keys(service.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN/.test(key))
          expect(key, `${name}: a secret is passed as a file, never as a value`).toMatch(/_FILE$/);
      }
    }
    expect(Object.keys(EXAMPLE_ENV).filter((key) => /PASSWORD|SECRET|TOKEN/.test(key))).toEqual([]);
  });
});

describe('the reverse proxy (deploy/proxy/Caddyfile)', () => {
  const caddyfile = parseCaddyfile(caddyfileForCompose(read('deploy/proxy/Caddyfile')));
  const snippets = new Map(
    caddyfile.blocks.filter((block) => /^\(.+\)$/.test(block.head)).map((block) => [block.head.slice(1, -1), block]),
  );
  const sites = new Map(
    caddyfile.blocks
      .filter((block) => block.head.startsWith('{$'))
      .map((block) => [block.head, handlersOf(block, snippets)]),
  );

  it('is the file the proxy service mounts, and has both public sites', () => {
    expect(COMPOSE.services.proxy?.volumes).toContain('./deploy/proxy/Caddyfile:/etc/caddy/Caddyfile:ro');
    expect([...sites.keys()].sort()).toEqual(['{$ESPACE_AGENTS_HOST}', '{$ESPACE_SITE_HOST}']);
    for (const [name, hasDefault] of caddyVariables(read('deploy/proxy/Caddyfile'))) {
      // A name with a default is for the native stack only; compose must then leave it to the default.
      if (hasDefault)
        expect(COMPOSE.services.proxy?.environment ?? {}, `the proxy is not given ${name}`).not.toHaveProperty(name);
      else expect(COMPOSE.services.proxy?.environment, `the proxy is given ${name}`).toHaveProperty(name);
    }
  });

  const NEVER_PUBLIC = [
    '/_synapse/admin/v1/server_version',
    '/_synapse/admin/v2/users/@bot:espace-mineurs.example.fr',
    '/_synapse/admin/v1/whois/@guest:espace-mineurs.example.fr',
    '/_SYNAPSE/Admin/v1/rooms',
    '/_synapse/metrics',
    '/_matrix/federation/v1/version',
    '/_matrix/key/v2/server',
    '/metrics',
    '/healthz',
    '/readyz',
  ];

  it.each(NEVER_PUBLIC)('never sends %s to Synapse or the bot', (path) => {
    for (const [site, handlers] of sites)
      expect(route(handlers, path), `${site} ${path}`).not.toMatch(/^(synapse|bot):/);
  });

  it('routes only the client API and client pages to Synapse', () => {
    for (const [site, handlers] of sites) {
      const toSynapse = handlers
        .filter((handler) => handler.upstream.startsWith('synapse:'))
        .map((handler) => handler.matcher);
      expect(toSynapse.sort(), site).toEqual(['/_matrix/*', '/_synapse/client/*']);
      expect(route(handlers, '/_matrix/client/versions'), site).toBe('synapse:8008');
      expect(route(handlers, '/_synapse/client/password_reset/email/submit_token'), site).toBe('synapse:8008');
      expect(route(handlers, '/api/conversations'), site).toBe('bot:8090');
    }
    expect(route(sites.get('{$ESPACE_SITE_HOST}')!, '/sur-les-reseaux-sociaux')).toBe('web:3000');
    expect(route(sites.get('{$ESPACE_AGENTS_HOST}')!, '/queue')).toBe('agent-client:8080');
  });
});

// ------------------------------------------------------------------------- Synapse's configuration
/** The keys of the rendered homeserver.yaml this test looks at. */
interface RenderedHomeserver {
  server_name: string;
  public_baseurl: string;
  database: unknown;
  registration_shared_secret: string;
  macaroon_secret_key: string;
  listeners: unknown[];
  federation_domain_whitelist: unknown;
  media_store_path: string;
  rc_registration: unknown;
}

describe('Synapse configuration for Compose (synapse/config/compose/render.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'espace-compose-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const secret = (name: string, value: string): string => {
    writeFileSync(join(dir, name), `${value}\n`);
    return join(dir, name);
  };
  const env = {
    ...COMPOSE.services['synapse-config']!.environment,
    POSTGRES_PASSWORD_FILE: secret('postgres_password', 'p'.repeat(20) + '%@/:?#' + 'q'.repeat(20)),
    ESPACE_REGISTRATION_SECRET_FILE: secret('registration_shared_secret', 'r'.repeat(43)),
  };

  it('is rendered by the synapse-config service, given every variable it needs', () => {
    const service = COMPOSE.services['synapse-config']!;
    for (const name of REQUIRED_ENV) expect(service.environment, name).toHaveProperty(name);
    expect(service.volumes).toContain('synapse-data:/data');
    expect(COMPOSE.services.synapse?.volumes).toContain('synapse-data:/data');
    expect(COMPOSE.services.synapse?.depends_on?.['synapse-config']?.condition).toBe('service_completed_successfully');
    expect(COMPOSE.services.synapse?.command?.join(' ')).toContain('--config-path /data/homeserver.yaml');
    // Synapse must be able to read the 0600 files the renderer writes.
    expect(service.user).toBe(COMPOSE.services.synapse?.user);
  });

  it('points Synapse at PostgreSQL behind the proxy, from the template, with private files', () => {
    const data = join(dir, 'data');
    const { homeserverPath, logPath } = renderForCompose(env, data);
    const config = parse(readFileSync(homeserverPath, 'utf8')) as RenderedHomeserver;
    expect(config.server_name).toBe('espace-mineurs.example.fr');
    expect(config.public_baseurl).toBe('https://espace-mineurs.example.fr/');
    expect(config.database).toMatchObject({
      name: 'psycopg2',
      args: {
        host: 'postgres',
        port: 5432,
        database: 'synapse',
        user: 'synapse',
        password: 'p'.repeat(20) + '%@/:?#' + 'q'.repeat(20),
      },
    });
    expect(config.registration_shared_secret).toBe('r'.repeat(43));
    expect(config.listeners).toHaveLength(2);
    expect(config.listeners[0]).toMatchObject({ port: 8008, x_forwarded: true, resources: [{ names: ['client'] }] });
    // Scraped by the prometheus service (deploy/prometheus/prometheus.yml); no port of it is published.
    expect(config.listeners[1]).toEqual({ port: 9000, bind_addresses: ['0.0.0.0'], type: 'metrics' });
    expect(config.federation_domain_whitelist).toEqual([]);
    expect(config.media_store_path).toBe('/data/media');
    // The template's production values, not the test layer's raised limits.
    expect(config.rc_registration).toEqual({ per_second: 0.5, burst_count: 30 });
    for (const file of [homeserverPath, logPath, join(data, 'secrets.json')])
      expect(statSync(file).mode & 0o777, file).toBe(0o600);

    const again = parse(readFileSync(renderForCompose(env, data).homeserverPath, 'utf8')) as RenderedHomeserver;
    expect(again.macaroon_secret_key, 'secrets survive a re-render').toBe(config.macaroon_secret_key);
  });

  it('refuses a missing variable or a weak secret, naming it', () => {
    expect(() => renderForCompose({ ...env, ESPACE_SERVER_NAME: '' }, join(dir, 'other'))).toThrow(
      /ESPACE_SERVER_NAME/,
    );
    const weak = { ...env, ESPACE_REGISTRATION_SECRET_FILE: secret('weak', 'change-me') };
    expect(() => renderForCompose(weak, join(dir, 'other'))).toThrow(/ESPACE_REGISTRATION_SECRET_FILE.*at least 32/);
    expect(() => renderForCompose({ ...env, ESPACE_PUBLIC_BASEURL: 'http://x/' }, join(dir, 'other'))).toThrow(/https/);
  });
});

describe('deploy/docker-entrypoint.sh', () => {
  it('turns NAME_FILE into NAME and drops the _FILE variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'espace-entrypoint-'));
    try {
      writeFileSync(join(dir, 'secret'), 'a secret value\n');
      chmodSync(join(dir, 'secret'), 0o444);
      const script = join(ROOT, 'deploy/docker-entrypoint.sh');
      const run = (env: Record<string, string>) =>
        spawnSync('sh', [script, 'sh', '-c', 'printf "%s|%s" "$DEMO_SECRET" "${DEMO_SECRET_FILE:-gone}"'], {
          env: { PATH: process.env.PATH!, ...env },
          encoding: 'utf8',
        });
      expect(run({ DEMO_SECRET_FILE: join(dir, 'secret') }).stdout).toBe('a secret value|gone');
      expect(run({ DEMO_SECRET_FILE: join(dir, 'missing') }).status).not.toBe(0);
      expect(run({ DEMO_SECRET_FILE: join(dir, 'secret'), DEMO_SECRET: 'x' }).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
