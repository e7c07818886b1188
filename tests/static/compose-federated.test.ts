/**
 * docker-compose.federated.yml (the federated profile), checked without a Docker engine like docker-compose.yml:
 * against the Compose schema, then for what the federated topology promises (docs/architecture.md, "Federated
 * topology"): three Synapses, each on its own database; federation on an internal network only, never published
 * and never routed by the proxy; every server's configuration, rendered by synapse/config/compose/render.ts from
 * the environment this file gives it, whitelisting exactly the deployment's three servers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SYNAPSE_IMAGE } from '@espace-mineurs/synapse';
import {
  FEDERATION_ENV,
  REQUIRED_ENV,
  renderForCompose,
  SYNAPSE_FEDERATION_PORT,
} from '../../synapse/config/compose/render.ts';
import { COMPOSE, EXAMPLE_ENV, interpolate, read, ROOT } from './files.ts';

interface FederatedService {
  image?: string;
  ports?: unknown[];
  environment?: Record<string, string>;
  networks?: Record<string, { aliases?: string[] } | null> | string[];
  secrets?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const FEDERATED_EXAMPLE = Object.fromEntries(
  read('deploy/federated.env.example')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);
const ENV = { ...EXAMPLE_ENV, ...FEDERATED_EXAMPLE };
const MISSING: string[] = [];
// `merge`: the file shares its federation variables through a YAML merge key, as Compose resolves it.
const OVERLAY = parse(interpolate(read('docker-compose.federated.yml'), ENV, MISSING), { merge: true }) as {
  services: Record<string, FederatedService>;
  networks: Record<string, { internal?: boolean; ipam?: { config: Array<{ subnet: string }> } }>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
};

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

/** What Compose runs for a service: the base file's definition with the overlay's merged over it (maps by key). */
function merged(name: string): FederatedService {
  const base = (COMPOSE.services as Record<string, FederatedService>)[name] ?? {};
  const over = OVERLAY.services[name] ?? {};
  const networks = (value: FederatedService['networks']) =>
    Array.isArray(value) ? Object.fromEntries(value.map((network) => [network, null])) : (value ?? {});
  return {
    ...base,
    ...over,
    environment: { ...base.environment, ...over.environment },
    networks: { ...networks(base.networks), ...networks(over.networks) },
    secrets: [...new Set([...(base.secrets ?? []), ...(over.secrets ?? [])])],
  };
}

function networkNames(service: FederatedService): string[] {
  return Array.isArray(service.networks) ? service.networks : Object.keys(service.networks ?? {});
}

const scratch = mkdtempSync(join(tmpdir(), 'espace-compose-federated-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

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
    expect(MISSING).toEqual([]);
  }, 60_000);

  it('runs three Synapses of the pinned image, each on a database of its own', () => {
    const databases = new Set<string>();
    for (const role of Object.values(ROLES)) {
      const synapse = merged(role.synapse);
      expect(synapse.image, role.synapse).toBe(SYNAPSE_IMAGE);
      const config = merged(role.config);
      databases.add(config.environment!.POSTGRES_HOST!);
      expect(synapse.depends_on).toHaveProperty(role.config);
    }
    expect(databases).toEqual(new Set(['postgres', 'postgres-police', 'postgres-gendarmerie']));
  });

  it('keeps federation on an internal network that only the three Synapses join, under their server host names', () => {
    expect(OVERLAY.networks.federation?.internal).toBe(true);
    expect(OVERLAY.networks.federation?.ipam?.config[0]?.subnet).toBe(ENV.ESPACE_FEDERATION_SUBNET);
    const members = [...new Set([...Object.keys(COMPOSE.services), ...Object.keys(OVERLAY.services)])].filter((name) =>
      networkNames(merged(name)).includes('federation'),
    );
    expect(members.sort()).toEqual(
      Object.values(ROLES)
        .map((role) => role.synapse)
        .sort(),
    );
    for (const role of Object.values(ROLES)) {
      const networks = merged(role.synapse).networks as Record<string, { aliases?: string[] } | null>;
      expect(networks.federation?.aliases).toEqual([role.host]);
    }
    for (const [name, network] of Object.entries(OVERLAY.networks)) expect(network.internal, name).toBe(true);
  });

  it('gives the young people s side no route to a force server: no shared network but the federation one', () => {
    for (const force of ['synapse-police', 'synapse-gendarmerie']) {
      const forceNetworks = networkNames(merged(force)).filter((network) => network !== 'federation');
      for (const name of Object.keys(COMPOSE.services)) {
        if (name === 'synapse') continue;
        const shared = networkNames(merged(name)).filter(
          (network) => forceNetworks.includes(network) || network === 'federation',
        );
        expect(shared, `${name} shares a network with ${force}`).toEqual([]);
      }
    }
  });

  it('publishes no port, and the proxy routes no federation path', () => {
    for (const [name, service] of Object.entries(OVERLAY.services)) expect(service.ports, name).toBeUndefined();
    expect(networkNames(merged('proxy'))).not.toContain('federation');
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
      const service = merged(role.config);
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
        expect(merged(role.synapse).secrets, `${role.synapse} mounts ${secret}`).toContain(secret);
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
      ...merged('synapse-config-police').environment!,
      POSTGRES_PASSWORD_FILE: secret,
      ESPACE_REGISTRATION_SECRET_FILE: secret,
      ESPACE_FEDERATION_ROLE: '',
    };
    expect(() => renderForCompose(env, scratch, scratch)).toThrow(/ESPACE_FEDERATION_ROLE not set/);
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
