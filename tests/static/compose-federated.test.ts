/**
 * docker-compose.federated.yml (the federated profile), checked without a Docker engine like docker-compose.yml:
 * against the Compose schema, then for what the federated topology promises (docs/architecture.md, "Federated
 * topology"): three Synapses, each on its own database; federation on an internal network only, never published
 * and never routed by the proxy; every server's configuration, rendered by synapse/config/compose/render.ts from
 * the environment this file gives it, whitelisting exactly the deployment's three servers; the bot's wiring (its
 * federated bootstrap given every name bot/src/federation/main.ts reads, each server reached at its client listener
 * over an internal network that is not the federation one, the bot configured with what the bootstrap wrote).
 * tests/federation/bootstrap-cli.test.ts runs that bootstrap service as Compose would.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SYNAPSE_IMAGE } from '@espace-mineurs/synapse';
import { BOT_LOCALPART } from '../../bot/src/bootstrap/bot-account.ts';
import { loadConfig } from '../../bot/src/config.ts';
import {
  FEDERATED_BOOTSTRAP_ENV,
  FEDERATED_BOOTSTRAP_SERVERS,
  runFederatedBootstrap,
} from '../../bot/src/federation/main.ts';
import {
  FEDERATION_ENV,
  REQUIRED_ENV,
  renderForCompose,
  SYNAPSE_FEDERATION_PORT,
} from '../../synapse/config/compose/render.ts';
import {
  type Block,
  COMPOSE,
  FEDERATED_ENV,
  handlersOf,
  parseCaddyfile,
  route,
  markdownSection,
  shellBlocks,
  FEDERATED_EXAMPLE,
  FEDERATED_SERVICES,
  federatedService,
  OVERLAY,
  OVERLAY_MISSING,
  read,
  ROOT,
  type FederatedService,
} from './files.ts';

const ENV = FEDERATED_ENV;

const ROLES = {
  public: { config: 'synapse-config', synapse: 'synapse', host: ENV.ESPACE_PUBLIC_FEDERATION_HOST! },
  police: { config: 'synapse-config-police', synapse: 'synapse-police', host: ENV.ESPACE_POLICE_FEDERATION_HOST! },
  gendarmerie: {
    config: 'synapse-config-gendarmerie',
    synapse: 'synapse-gendarmerie',
    host: ENV.ESPACE_GENDARMERIE_FEDERATION_HOST!,
  },
} as const;
const SERVER_NAMES = Object.values(ROLES).map((role) => `${role.host}:${SYNAPSE_FEDERATION_PORT}`);
/** Each force's agents' proxy and agent client (deploy/proxy/force-agents.Caddyfile). */
const FORCES = {
  police: {
    proxy: 'proxy-police',
    client: 'agent-client-police',
    synapse: 'synapse-police',
    other: 'synapse-gendarmerie',
  },
  gendarmerie: {
    proxy: 'proxy-gendarmerie',
    client: 'agent-client-gendarmerie',
    synapse: 'synapse-gendarmerie',
    other: 'synapse-police',
  },
} as const;
const FORCE_PROXIES: string[] = Object.values(FORCES).map((force) => force.proxy);
const FORCE_EDGES = Object.keys(FORCES).map((force) => `${force}-edge`);
/** The services that act on every server: the bot and the one-shot that makes its accounts. */
const BOT_SERVICES = ['bot', 'bootstrap'];

function networkNames(service: FederatedService): string[] {
  return Array.isArray(service.networks) ? service.networks : Object.keys(service.networks ?? {});
}

const scratch = mkdtempSync(join(tmpdir(), 'espace-compose-federated-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Listener {
  port: number;
  type?: string;
  tls?: boolean;
  bind_addresses?: string[];
  resources?: Array<{ names: string[] }>;
}

/** A server's homeserver.yaml as render.ts writes it from the environment its synapse-config service is given. */
function renderedListeners(role: keyof typeof ROLES): Listener[] {
  const secret = join(scratch, `render-secret-${role}`);
  writeFileSync(secret, 's'.repeat(43));
  const dataDir = mkdtempSync(join(scratch, `render-${role}-`));
  const env = {
    ...federatedService(ROLES[role].config).environment,
    POSTGRES_PASSWORD_FILE: secret,
    ESPACE_REGISTRATION_SECRET_FILE: secret,
  };
  return (
    parse(readFileSync(renderForCompose(env, dataDir, dataDir).homeserverPath, 'utf8')) as { listeners: Listener[] }
  ).listeners;
}

describe('docker-compose.federated.yml', () => {
  it('is valid against the Compose specification schema and needs no variable the example files do not give', () => {
    const schemaPath = join(
      dirname(createRequire(import.meta.url).resolve('dclint/package.json')),
      'schemas/compose.schema.json',
    );
    const { $schema: _draft, ...schema } = JSON.parse(readFileSync(schemaPath, 'utf8')) as { $schema: string };
    const validate = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);
    validate(OVERLAY);
    expect((validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`)).toEqual([]);
    expect(OVERLAY_MISSING).toEqual([]);
  }, 60_000);

  it('runs three Synapses of the pinned image, each on a database of its own', () => {
    const databases = new Set<string>();
    for (const role of Object.values(ROLES)) {
      const synapse = federatedService(role.synapse);
      expect(synapse.image, role.synapse).toBe(SYNAPSE_IMAGE);
      const config = federatedService(role.config);
      databases.add(config.environment!.POSTGRES_HOST!);
      expect(synapse.depends_on).toHaveProperty(role.config);
    }
    expect(databases).toEqual(new Set(['postgres', 'postgres-police', 'postgres-gendarmerie']));
  });

  it('keeps federation on an internal network that only the three Synapses join, under their server host names', () => {
    expect(OVERLAY.networks.federation?.internal).toBe(true);
    expect(OVERLAY.networks.federation?.ipam?.config[0]?.subnet).toBe(ENV.ESPACE_FEDERATION_SUBNET);
    const members = FEDERATED_SERVICES.filter((name) => networkNames(federatedService(name)).includes('federation'));
    expect(members.sort()).toEqual(
      Object.values(ROLES)
        .map((role) => role.synapse)
        .sort(),
    );
    for (const role of Object.values(ROLES)) {
      const networks = federatedService(role.synapse).networks as Record<string, { aliases?: string[] } | null>;
      expect(networks.federation?.aliases).toEqual([role.host]);
    }
    // Every network internal but each force proxy's way out, which that proxy alone joins (checked below).
    for (const [name, network] of Object.entries(OVERLAY.networks))
      expect(network.internal, name).toBe(FORCE_EDGES.includes(name) ? undefined : true);
  });

  it('gives the young people s side no route to a force server: no shared network but the federation one', () => {
    for (const force of ['synapse-police', 'synapse-gendarmerie']) {
      const forceNetworks = networkNames(federatedService(force)).filter((network) => network !== 'federation');
      for (const name of Object.keys(COMPOSE.services)) {
        // The bot has an account on every server (docs/architecture.md, "Federated topology"): its network to
        // each force server is checked below, joined by it, its bootstrap and that server only. Prometheus scrapes
        // every server: its network to each is checked below too, joined by it and that server only.
        if (name === 'synapse' || name === 'prometheus' || BOT_SERVICES.includes(name)) continue;
        const shared = networkNames(federatedService(name)).filter(
          (network) => forceNetworks.includes(network) || network === 'federation',
        );
        expect(shared, `${name} shares a network with ${force}`).toEqual([]);
      }
    }
  });

  it('publishes no port but the force proxies, and the proxy routes no federation path', () => {
    for (const [name, service] of Object.entries(OVERLAY.services))
      if (!FORCE_PROXIES.includes(name)) expect(service.ports, name).toBeUndefined();
    expect(networkNames(federatedService('proxy'))).not.toContain('federation');
    const caddyfile = read('deploy/proxy/Caddyfile');
    expect(caddyfile).not.toMatch(/8448/);
  });

  it('gives each server the closed federation: the same three names, its own certificate, guests on the public one only', () => {
    const secretFile = (name: string, text: string) => {
      const path = join(scratch, name);
      writeFileSync(path, text);
      return path;
    };
    for (const [roleName, role] of Object.entries(ROLES)) {
      const service = federatedService(role.config);
      const env = service.environment!;
      for (const name of [...REQUIRED_ENV, ...FEDERATION_ENV])
        expect(env, `${role.config} sets ${name}`).toHaveProperty(name);
      expect(env.ESPACE_FEDERATION_SERVERS!.split(',')).toEqual(SERVER_NAMES);
      expect(env.ESPACE_SERVER_NAME).toBe(`${role.host}:${SYNAPSE_FEDERATION_PORT}`);
      // Every file the configuration names is a secret mounted into both the renderer and the Synapse.
      for (const variable of [
        'ESPACE_FEDERATION_CA_FILE',
        'ESPACE_FEDERATION_CERT_FILE',
        'ESPACE_FEDERATION_KEY_FILE',
      ] as const) {
        const secret = env[variable]!.replace('/run/secrets/', '');
        expect(OVERLAY.secrets, variable).toHaveProperty(secret);
        expect(service.secrets).toContain(secret);
        expect(federatedService(role.synapse).secrets, `${role.synapse} mounts ${secret}`).toContain(secret);
      }

      const dataDir = mkdtempSync(join(scratch, `${roleName}-`));
      const rendered = renderForCompose(
        {
          ...env,
          POSTGRES_PASSWORD_FILE: secretFile(`${roleName}-pg`, 'p'.repeat(43)),
          ESPACE_REGISTRATION_SECRET_FILE: secretFile(`${roleName}-reg`, 'r'.repeat(43)),
        },
        dataDir,
        dataDir,
      );
      const config = parse(readFileSync(rendered.homeserverPath, 'utf8')) as Record<string, unknown>;
      expect(config.federation_domain_whitelist).toEqual(SERVER_NAMES);
      expect(config.federation_custom_ca_list).toEqual(['/run/secrets/federation_ca']);
      expect(config.ip_range_whitelist).toEqual([ENV.ESPACE_FEDERATION_SUBNET]);
      expect(config.allow_guest_access).toBe(roleName === 'public');
      const listener = (
        config.listeners as Array<{ port: number; tls: boolean; resources: Array<{ names: string[] }> }>
      ).find((candidate) => candidate.port === SYNAPSE_FEDERATION_PORT);
      expect(listener).toMatchObject({ tls: true, resources: [{ names: ['federation', 'keys'] }] });
    }
  });

  it('refuses a half-set federation environment with the names that are missing', () => {
    const secret = join(scratch, 'half-set-secret');
    writeFileSync(secret, 's'.repeat(43));
    const env = {
      ...federatedService('synapse-config-police').environment!,
      POSTGRES_PASSWORD_FILE: secret,
      ESPACE_REGISTRATION_SECRET_FILE: secret,
      ESPACE_FEDERATION_ROLE: '',
    };
    expect(() => renderForCompose(env, scratch, scratch)).toThrow(/ESPACE_FEDERATION_ROLE not set/);
  });
});

describe('the bot in the federated profile', () => {
  const bootstrap = federatedService('bootstrap');
  const bot = federatedService('bot');
  type Role = keyof typeof ROLES;
  const roles = Object.keys(ROLES) as Role[];

  /** The port of the client listener render.ts gives a server's Synapse, from the environment this file sets. */
  const clientPort = (role: Role): number => {
    const listener = renderedListeners(role).find((candidate) =>
      candidate.resources?.some((resource) => resource.names.includes('client')),
    );
    expect(listener, `${role}: a client listener`).toBeDefined();
    expect(listener!.tls ?? false).toBe(false);
    return listener!.port;
  };

  /** What deploy/docker-entrypoint.sh makes of a service's environment: NAME_FILE read into NAME. */
  const readByEntrypoint = (env: Record<string, string>): string[] =>
    Object.keys(env).map((key) => (key.endsWith('_FILE') ? key.slice(0, -'_FILE'.length) : key));

  it('runs the federated bootstrap as the one-shot before the bot, as docker-compose.yml runs its own', () => {
    expect(bootstrap.command).toEqual(['node', 'bot/src/federation/main.ts']);
    expect(existsSync(join(ROOT, bootstrap.command![1]!))).toBe(true);
    expect(read(bootstrap.command![1]!)).toMatch(/if \(import\.meta\.main\)/);
    expect(bootstrap.build).toEqual(bot.build);
    expect(bootstrap.restart).toBe('no');
    expect(bot.depends_on?.bootstrap?.condition).toBe('service_completed_successfully');
    for (const role of Object.values(ROLES)) {
      expect(bootstrap.depends_on?.[role.synapse]?.condition, `bootstrap waits for ${role.synapse}`).toBe(
        'service_healthy',
      );
      expect(bot.depends_on?.[role.synapse]?.condition, `bot waits for ${role.synapse}`).toBe('service_healthy');
    }
  });

  it('gives the federated bootstrap every name it reads and no other, each registration secret as a file', async () => {
    const logNames = [...read('bot/src/log.ts').matchAll(/process\.env\.([A-Z0-9_]+)/g)].map((match) => match[1]!);
    const given = readByEntrypoint(bootstrap.environment);
    for (const name of given)
      expect([...FEDERATED_BOOTSTRAP_ENV, ...logNames], `bootstrap is given ${name}, never read`).toContain(name);
    for (const role of roles) {
      const names = FEDERATED_BOOTSTRAP_SERVERS[role];
      for (const name of [names.url, names.secret, names.serverName])
        expect(given, `bootstrap is given ${name}`).toContain(name);
      expect(bootstrap.environment[names.secret], `${names.secret} comes from a file`).toBeUndefined();
      // The secret this server's Synapse is rendered with, so that the bootstrap can register the bot there.
      const secretPath = bootstrap.environment[`${names.secret}_FILE`]!;
      expect(secretPath).toBe(federatedService(ROLES[role].config).environment.ESPACE_REGISTRATION_SECRET_FILE);
      expect(bootstrap.secrets).toContain(secretPath.replace('/run/secrets/', ''));
      expect(bootstrap.environment[names.serverName]).toBe(
        federatedService(ROLES[role].config).environment.ESPACE_SERVER_NAME,
      );
    }
    expect(given).toContain('ESPACE_STATE_DIR');
    expect(bootstrap.command).not.toContain('--demo');
    // The entry refuses to start without any of them, naming it, before it calls a server.
    const env = Object.fromEntries(given.map((name) => [name, 'x']));
    for (const role of roles) {
      for (const name of [FEDERATED_BOOTSTRAP_SERVERS[role].url, FEDERATED_BOOTSTRAP_SERVERS[role].secret]) {
        const { [name]: _dropped, ...without } = env;
        await expect(runFederatedBootstrap(without, [])).rejects.toThrow(new RegExp(`not set: ${name} `));
      }
    }
  });

  it("reaches each server's client listener over an internal network it shares with that server, never federation", () => {
    for (const role of roles) {
      const url = new URL(bootstrap.environment[FEDERATED_BOOTSTRAP_SERVERS[role].url]!);
      const synapse = ROLES[role].synapse;
      expect(url.protocol, role).toBe('http:');
      expect(url.hostname, `${role}: the URL names its Synapse service`).toBe(synapse);
      expect(Number(url.port), `${role}: the port of its client listener`).toBe(clientPort(role));
      for (const name of BOT_SERVICES) {
        const shared = networkNames(federatedService(name)).filter((network) =>
          networkNames(federatedService(synapse)).includes(network),
        );
        expect(shared.length, `${name} shares a network with ${synapse}`).toBeGreaterThan(0);
        expect(shared, name).not.toContain('federation');
        for (const network of shared) {
          const internal = OVERLAY.networks[network]?.internal ?? COMPOSE.networks[network]?.internal;
          expect(internal, `${network} is internal`).toBe(true);
        }
        if (role !== 'public') {
          // A network of the bot's own to that force server: no proxy, agent network or other Synapse on it.
          for (const network of shared) {
            const members = FEDERATED_SERVICES.filter((service) =>
              networkNames(federatedService(service)).includes(network),
            );
            expect(members.sort(), network).toEqual([...BOT_SERVICES, synapse].sort());
          }
        }
      }
    }
  });

  it('hands the bot, in the same volume, what the bootstrap wrote for the URLs the bot is configured with', () => {
    // bot/src/index.ts `connect` refuses a federation.json whose public server is not ESPACE_HOMESERVER_URL.
    expect(bot.environment.ESPACE_HOMESERVER_URL).toBe(bootstrap.environment[FEDERATED_BOOTSTRAP_SERVERS.public.url]);
    const stateDir = bootstrap.environment.ESPACE_STATE_DIR!;
    expect(bot.environment.ESPACE_STATE_DIR).toBe(stateDir);
    const volume = (bootstrap.volumes ?? []).find((mount) => mount.split(':')[1] === stateDir);
    expect(volume, 'the bootstrap mounts a volume at the state folder').toBeDefined();
    expect(bot.volumes).toContain(volume);
  });

  it('configures the bot with names bot/src/config.ts reads, enough to load it, and no secret', () => {
    const reads = [...read('bot/src/config.ts').matchAll(/\['([A-Z0-9_]+)', \[/g)].map((match) => match[1]!);
    const logNames = [...read('bot/src/log.ts').matchAll(/process\.env\.([A-Z0-9_]+)/g)].map((match) => match[1]!);
    for (const name of readByEntrypoint(bot.environment))
      expect([...reads, ...logNames], `bot is given ${name}, never read`).toContain(name);
    const config = loadConfig(bot.environment);
    expect(config.homeserverUrl).toBe(bot.environment.ESPACE_HOMESERVER_URL);
    expect(config.stateDir).toBe(bot.environment.ESPACE_STATE_DIR);
    expect(bot.secrets).toEqual([]);
    expect(Object.keys(bot.environment).filter((key) => /SECRET|PASSWORD|TOKEN/.test(key))).toEqual([]);
    for (const name of BOT_SERVICES) expect(federatedService(name).ports, name).toBeUndefined();
  });

  it('declares every secret a service mounts, as a git-ignored file of deploy/secrets/', () => {
    const declared = { ...COMPOSE.secrets, ...OVERLAY.secrets };
    for (const name of FEDERATED_SERVICES) {
      const service = federatedService(name);
      for (const secret of service.secrets) expect(declared, `${name} mounts ${secret}`).toHaveProperty(secret);
      for (const [key, value] of Object.entries(service.environment ?? {}))
        if (key.endsWith('_FILE') && value.startsWith('/run/secrets/'))
          expect(service.secrets, `${name}: ${key}`).toContain(value.replace('/run/secrets/', ''));
    }
    for (const [name, secret] of Object.entries(OVERLAY.secrets)) {
      expect(secret.file, name).toMatch(/^\.\/deploy\/secrets\/[a-z_]+\/[a-z_.]+$/);
      const ignored = spawnSync('git', ['check-ignore', '--no-index', '-q', secret.file], { cwd: ROOT });
      expect(ignored.status, `${secret.file} must be git-ignored`).toBe(0);
    }
  });
});

describe('Prometheus in the federated profile', () => {
  type Role = keyof typeof ROLES;
  const roles = Object.keys(ROLES) as Role[];
  const prometheus = federatedService('prometheus');
  const base = COMPOSE.services.prometheus!;
  const isConfigFlag = (arg: string) => arg.startsWith('--config.file=');

  /** The repository file a container path is, through the service's bind mounts. */
  const hostFile = (service: FederatedService, containerPath: string): string => {
    for (const mount of service.volumes ?? []) {
      const [source, target] = mount.split(':') as [string, string];
      if (source.startsWith('./') && containerPath.startsWith(`${target}/`))
        return join(source.slice(2), containerPath.slice(target.length + 1));
    }
    throw new Error(`no bind mount holds ${containerPath}`);
  };
  const configPath = hostFile(prometheus, prometheus.command!.find(isConfigFlag)!.split('=')[1]!);
  const config = parse(read(configPath)) as {
    scrape_configs: Array<{
      job_name: string;
      metrics_path: string;
      static_configs: Array<{ targets: string[]; labels?: Record<string, string> }>;
    }>;
  };
  /** The servers' main processes: every service running Synapse's homeserver (not a worker). */
  const homeservers = FEDERATED_SERVICES.filter((name) =>
    (federatedService(name).command ?? []).join(' ').includes('synapse.app.homeserver'),
  );

  it("runs its federated configuration file, with the rest of docker-compose.yml's command", () => {
    expect(configPath).toBe('deploy/prometheus/prometheus.federated.yml');
    expect(existsSync(join(ROOT, configPath))).toBe(true);
    expect(base.command!.filter(isConfigFlag)).toEqual(['--config.file=/etc/prometheus/prometheus.yml']);
    expect(prometheus.command!.filter((arg) => !isConfigFlag(arg))).toEqual(
      base.command!.filter((arg) => !isConfigFlag(arg)),
    );
    // The alert that says a server is down reads the job that holds the three servers.
    expect(read('deploy/prometheus/alerts.yml')).toContain('up{job="synapse"} == 0');
  });

  it('scrapes every Synapse of the profile at the metrics listener render.ts gives it, labelled with its server', () => {
    expect(homeservers.sort()).toEqual(roles.map((role) => ROLES[role].synapse).sort());
    const job = config.scrape_configs.find((candidate) => candidate.job_name === 'synapse')!;
    expect(job.metrics_path).toBe('/_synapse/metrics');
    const scraped = Object.fromEntries(
      job.static_configs.flatMap((group) => group.targets.map((target) => [target, group.labels?.server])),
    );
    const expected: Record<string, string> = {};
    for (const role of roles) {
      const metrics = renderedListeners(role).filter((listener) => listener.type === 'metrics');
      expect(metrics, `${role}: one metrics listener`).toHaveLength(1);
      // Reachable from another container: not bound to loopback.
      expect(metrics[0]!.bind_addresses, role).toEqual(['0.0.0.0']);
      expected[`${ROLES[role].synapse}:${metrics[0]!.port}`] = role;
    }
    expect(scraped).toEqual(expected);
  });

  it("reaches each over an internal network it shares with it, never federation or the bot's, a force's its own", () => {
    const own = networkNames(prometheus);
    expect(own).not.toContain('federation');
    for (const network of own) expect(network, 'Prometheus is on no bot network').not.toMatch(/^bot-/);
    for (const role of roles) {
      const synapse = ROLES[role].synapse;
      const shared = own.filter((network) => networkNames(federatedService(synapse)).includes(network));
      expect(shared.length, `Prometheus shares a network with ${synapse}`).toBeGreaterThan(0);
      for (const network of shared) {
        const internal = OVERLAY.networks[network]?.internal ?? COMPOSE.networks[network]?.internal;
        expect(internal, `${network} is internal`).toBe(true);
        if (role === 'public') continue;
        // Only Prometheus and that force's server: no proxy, no bot, not the other force.
        const members = FEDERATED_SERVICES.filter((service) =>
          networkNames(federatedService(service)).includes(network),
        );
        expect(members.sort(), network).toEqual(['prometheus', synapse].sort());
      }
    }
  });
});

describe('deploy/README.md, backups of the federated profile', () => {
  const section = markdownSection(read('deploy/README.md'), 'Backups of the federated profile');
  const blocks = shellBlocks(section);
  /** The words of every `for NAME in …; do` of the section's commands, one list per loop. */
  const loops = (variable: string): string[][] =>
    blocks.flatMap((block) =>
      [...block.matchAll(new RegExp(`^for ${variable} in ([^;]+); do$`, 'gm'))].map((match) =>
        match[1]!.trim().split(/\s+/),
      ),
    );
  const volumes = loops('volume');
  const databases = loops('db');
  const declared = { ...COMPOSE.volumes, ...OVERLAY.volumes };

  it('has a backup and a restore, each over the same volumes and databases', () => {
    expect(volumes).toHaveLength(2);
    expect(databases).toHaveLength(2);
    expect(volumes[1]).toEqual(volumes[0]);
    expect(databases[1]).toEqual(databases[0]);
    expect(blocks.join('\n')).toContain('export COMPOSE_FILE=docker-compose.yml:docker-compose.federated.yml');
    expect(blocks.join('\n')).toContain('cp -a deploy/secrets backup/secrets');
  });

  it('names volumes the two files declare, by the name Compose gives them, the journal never', () => {
    for (const volume of volumes[0]!) expect(declared, `a volume ${volume}`).toHaveProperty(volume);
    // The force servers' own volumes are the federated file's.
    for (const volume of volumes[0]!.filter((name) => /police|gendarmerie/.test(name)))
      expect(OVERLAY.volumes, volume).toHaveProperty(volume);
    expect(volumes[0]).not.toContain('deletion-journal');
    const project = COMPOSE.name!;
    expect(project).toBe('espace-mineurs');
    for (const block of blocks.filter((text) => text.includes('docker run')))
      expect(block).toContain(`-v "${project}_$volume:/data`);
  });

  it("archives every Synapse's data volume and the bot's, and dumps every database of the profile", () => {
    const synapseVolumes = FEDERATED_SERVICES.filter((name) =>
      (federatedService(name).command ?? []).join(' ').includes('synapse.app.homeserver'),
    ).flatMap((name) => (federatedService(name).volumes ?? []).map((mount) => mount.split(':')[0]!));
    expect(synapseVolumes.sort()).toEqual(['synapse-data', 'synapse-gendarmerie-data', 'synapse-police-data']);
    for (const volume of [...synapseVolumes, 'bot-data']) expect(volumes[0], volume).toContain(volume);
    // The bot's state before any database (its audit mirror never ahead of the audit rooms).
    expect(volumes[0]![0]).toBe('bot-data');
    const first = blocks.find((block) => block.includes('pg_dump'))!;
    expect(first.indexOf('tar -cf')).toBeLessThan(first.indexOf('pg_dump'));
    const postgres = FEDERATED_SERVICES.filter((name) => federatedService(name).image?.startsWith('postgres:'));
    expect(databases[0]!.sort()).toEqual(postgres.sort());
    expect(postgres.sort()).toEqual(['postgres', 'postgres-gendarmerie', 'postgres-police']);
  });
});

describe('deploy/make-federation-certs.sh', () => {
  it('makes a CA and, per server, a certificate for its host that the CA verifies', () => {
    const dir = join(scratch, 'certs');
    const made = spawnSync('sh', [join(ROOT, 'deploy/make-federation-certs.sh'), dir], {
      env: { ...process.env, ...FEDERATED_EXAMPLE },
      encoding: 'utf8',
    });
    expect(made.status, made.stderr).toBe(0);
    for (const [roleName, role] of Object.entries(ROLES)) {
      const verified = spawnSync(
        'openssl',
        ['verify', '-CAfile', join(dir, 'ca.pem'), '-verify_hostname', role.host, join(dir, `${roleName}.crt`)],
        { encoding: 'utf8' },
      );
      expect(verified.stdout + verified.stderr).toContain(': OK');
      const other = spawnSync(
        'openssl',
        ['verify', '-CAfile', join(dir, 'ca.pem'), '-verify_hostname', 'matrix.org', join(dir, `${roleName}.crt`)],
        { encoding: 'utf8' },
      );
      expect(other.status).not.toBe(0);
    }
    const again = spawnSync('sh', [join(ROOT, 'deploy/make-federation-certs.sh'), dir], {
      env: { ...process.env, ...FEDERATED_EXAMPLE },
      encoding: 'utf8',
    });
    expect(again.stdout).toMatch(/kept/);
  }, 60_000);
});

describe('each force s agents proxy (deploy/proxy/force-agents.Caddyfile)', () => {
  const FILE = 'deploy/proxy/force-agents.Caddyfile';
  const text = read(FILE);
  const caddyfile = parseCaddyfile(text);
  const snippets = new Map(
    caddyfile.blocks.filter((block) => /^\(.+\)$/.test(block.head)).map((block) => [block.head.slice(1, -1), block]),
  );
  const site = caddyfile.blocks.find((block) => block.head === '{$ESPACE_FORCE_AGENTS_HOST}')!;
  /** The file as Caddy reads it in one force's container: the variables that service is given, substituted. */
  const forFile = (env: Record<string, string>, source = text): string =>
    source.replace(/\{\$([A-Z0-9_]+)\}/g, (_match, name: string) => {
      expect(env, `the service is given ${name}`).toHaveProperty(name);
      return env[name]!;
    });

  it('has one site, the force s agents host, and the health listener', () => {
    expect(site, 'a site {$ESPACE_FORCE_AGENTS_HOST}').toBeDefined();
    expect(caddyfile.blocks.filter((block) => !/^\(.+\)$/.test(block.head)).map((block) => block.head)).toEqual([
      '',
      '{$ESPACE_FORCE_AGENTS_HOST}',
      'http://127.0.0.1:8081',
    ]);
  });

  it('sends the same security headers and CSP as the main proxy s agents host', () => {
    const main = parseCaddyfile(read('deploy/proxy/Caddyfile'));
    const mainAgents = main.blocks.find((block) => block.head === '{$ESPACE_AGENTS_HOST}')!;
    const headers = (block: Block) => block.lines.filter((line) => line.startsWith('header '));
    expect(headers(site)).toEqual(headers(mainAgents));
    const snippet = (file: Block) => file.blocks.find((block) => block.head === '(security_headers)')!.blocks[0]!.lines;
    expect(snippet(caddyfile)).toEqual(snippet(main));
    expect(site.lines).toContain('import security_headers');
    expect(site.lines).toContain('tls {$ESPACE_TLS}');
    expect(text).not.toMatch(/^\s*(log|trusted_proxies)\b/m);
  });

  const handlers = handlersOf(site, snippets);
  const NEVER = [
    '/_synapse/admin/v1/server_version',
    '/_synapse/admin/v2/users/@espace-bot:police.espace-mineurs.example.fr:8448',
    '/_SYNAPSE/Admin/v1/rooms',
    '/_synapse/metrics',
    '/_matrix/federation/v1/version',
    '/_matrix/key/v2/server',
    '/_matrix/media/v3/download/x/y',
    '/api/conversations',
  ];
  it.each(NEVER)('answers %s 404 itself: no Synapse, no bot, no agent client', (path) => {
    expect(route(handlers, path)).toBe('respond 404');
  });

  it('routes only the client API and the client pages to the force s Synapse, the rest to its agent client', () => {
    const toSynapse = handlers.filter((handler) => handler.upstream === '{$ESPACE_FORCE_SYNAPSE_UPSTREAM}');
    expect(toSynapse.map((handler) => handler.matcher).sort()).toEqual(['/_matrix/client/*', '/_synapse/client/*']);
    expect(route(handlers, '/_matrix/client/v3/sync')).toBe('{$ESPACE_FORCE_SYNAPSE_UPSTREAM}');
    expect(route(handlers, '/_synapse/client/password_reset/email/submit_token')).toBe(
      '{$ESPACE_FORCE_SYNAPSE_UPSTREAM}',
    );
    expect(route(handlers, '/queue')).toBe('{$ESPACE_AGENT_CLIENT_UPSTREAM}');
  });

  it.each(Object.entries(FORCES))(
    '%s: its own Synapse only, the agent client, the same image and hardening as the proxy',
    (role, force) => {
      const proxy = federatedService(force.proxy);
      const main = federatedService('proxy');
      for (const key of ['image', 'cap_drop', 'cap_add', 'security_opt', 'init', 'restart', 'healthcheck'] as const)
        expect(proxy[key], `${force.proxy} ${key}`).toEqual(main[key]);
      expect(proxy.volumes).toContain(`./${FILE}:/etc/caddy/Caddyfile:ro`);
      expect(proxy.depends_on).toHaveProperty(force.synapse);
      const env = proxy.environment;
      expect(env.ESPACE_FORCE_SYNAPSE_UPSTREAM).toBe(`${force.synapse}:8008`);
      expect(env.ESPACE_AGENT_CLIENT_UPSTREAM).toBe(`${force.client}:8080`);
      expect(env.ESPACE_FORCE_AGENTS_HOST).toBe(ENV[`ESPACE_${role.toUpperCase()}_AGENTS_HOST`]);
      expect(env.ESPACE_TLS).toBe(ENV[`ESPACE_${role.toUpperCase()}_AGENTS_TLS`]);
      expect(proxy.ports).toEqual([
        `${ENV[`ESPACE_${role.toUpperCase()}_AGENTS_PORT`]}:443`,
        `${ENV[`ESPACE_${role.toUpperCase()}_AGENTS_PORT`]}:443/udp`,
      ]);
      // Networks: which services share one with this proxy. Its own Synapse, its agent client, nothing else.
      const mine = networkNames(proxy);
      const neighbours = FEDERATED_SERVICES.filter(
        (name) =>
          name !== force.proxy && networkNames(federatedService(name)).some((network) => mine.includes(network)),
      );
      expect(neighbours.sort()).toEqual([force.client, force.synapse].sort());
      for (const forbidden of ['synapse', force.other, 'bot', 'bootstrap', 'proxy'])
        expect(
          networkNames(federatedService(forbidden)).filter((network) => mine.includes(network)),
          forbidden,
        ).toEqual([]);
      // Its agent client: the single-server image, reached by this proxy alone, and no Synapse.
      const client = federatedService(force.client);
      expect(client.build).toEqual(COMPOSE.services['agent-client']!.build);
      expect(networkNames(client)).toEqual([`${role}-agent-client`]);
    },
  );

  it.each(Object.entries(FORCES))(
    '%s: config.json names its own server and the bot s three accounts',
    (role, force) => {
      const env = federatedService(force.proxy).environment;
      const respond = site.blocks
        .find((block) => block.head === 'handle /config.json')!
        .lines.find((line) => line.startsWith('respond '))!;
      const json = /`(.*)`/
        .exec(forFile(env, respond))![1]!
        .replace(
          '{http.request.hostport}',
          `${env.ESPACE_FORCE_AGENTS_HOST}:${ENV[`ESPACE_${role.toUpperCase()}_AGENTS_PORT`]}`,
        );
      // The keys of agent-client/src/config.ts (AgentClientConfig), nothing else.
      const config = JSON.parse(json) as { homeserverUrl: string; botUserIds: string[] };
      expect(Object.keys(config).sort()).toEqual(['botUserIds', 'homeserverUrl']);
      expect(config.homeserverUrl).toBe(
        `https://${ENV[`ESPACE_${role.toUpperCase()}_AGENTS_HOST`]}:${ENV[`ESPACE_${role.toUpperCase()}_AGENTS_PORT`]}`,
      );
      expect(config.botUserIds).toEqual(SERVER_NAMES.map((name) => `@${BOT_LOCALPART}:${name}`));
    },
  );

  it.each(Object.entries(FORCES))(
    '%s: Caddy accepts the file with the variables the service is given',
    (_role, force) => {
      const env = federatedService(force.proxy).environment;
      const file = join(scratch, `${force.proxy}.Caddyfile`);
      writeFileSync(file, forFile(env));
      const result = spawnSync('caddy', ['adapt', '--adapter', 'caddyfile', '--config', file], { encoding: 'utf8' });
      if (result.error) return; // no caddy binary: the grammar above is then all that is checked
      expect(result.status, result.stderr).toBe(0);
      const adapted = JSON.stringify(JSON.parse(result.stdout));
      expect(adapted).toContain(`"${env.ESPACE_FORCE_AGENTS_HOST}"`);
      expect(adapted).toContain(`"${env.ESPACE_FORCE_SYNAPSE_UPSTREAM}"`);
      expect(adapted).not.toContain(force.other);
    },
  );

  it('leaves the single-server agent client off: it serves the public server, where no staff account exists', () => {
    expect(OVERLAY.services['agent-client']?.profiles).toEqual(['single-server']);
  });
});
