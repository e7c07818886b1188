/**
 * Renders homeserver.yaml and log.yaml for docker-compose.yml, from the same template as every other environment
 * (synapse/config/homeserver.template.yaml through renderHomeserverConfig), so production never runs a
 * hand-maintained copy that drifts from what the tests exercise.
 *
 * It runs as the one-shot `synapse-config` service before Synapse starts, on every `docker compose up`: a new
 * release of the template therefore reaches production by restarting, and nothing has to be edited by hand.
 * What must survive a restart (macaroon and form secrets, signing key, media) lives in the Synapse data volume.
 *
 * The native production-shaped stack (scripts/production.ts) runs this same file, with the variables that differ
 * outside a container: SYNAPSE_DATA_DIR (where the files are, and the paths written into them), ESPACE_SYNAPSE_BIND
 * (a loopback address), ESPACE_SYNAPSE_PORT, ESPACE_SYNAPSE_METRICS_BIND, ESPACE_SYNAPSE_METRICS_PORT and
 * POSTGRES_PORT. Compose leaves them to their defaults.
 *
 * Run directly: `node synapse/config/compose/render.ts` (Node 24, type stripping). Tests import renderForCompose.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderHomeserverConfig, type FederationSettings } from '../../src/config.ts';
import { HomeserverError } from '../../src/errors.ts';
import { loadOrCreateSecrets } from '../../src/secrets.ts';
import {
  addWorkersToHomeserver,
  loadOrCreateReplicationSecret,
  renderWorkerConfig,
  renderWorkerLog,
  WORKERS,
} from '../../src/workers.ts';

/** Environment variables the `synapse-config` service must set (docker-compose.yml); the test checks they are. */
export const REQUIRED_ENV = [
  'ESPACE_SERVER_NAME',
  'ESPACE_PUBLIC_BASEURL',
  'POSTGRES_HOST',
  'POSTGRES_DB',
  'POSTGRES_USER',
  'POSTGRES_PASSWORD_FILE',
  'ESPACE_REGISTRATION_SECRET_FILE',
] as const;

/**
 * The federated profile only (docker-compose.federated.yml): set all of them, or none (federation off). Names of
 * the deployment's servers, comma-separated, this one included; `public` or `force` (guests on the public server
 * only); the internal federation network's CIDR (exempted from Synapse's private-range blocklist); the CA
 * certificate and this server's certificate and key (files from deploy/make-federation-certs.sh).
 */
export const FEDERATION_ENV = [
  'ESPACE_FEDERATION_SERVERS',
  'ESPACE_FEDERATION_ROLE',
  'ESPACE_FEDERATION_NETWORK',
  'ESPACE_FEDERATION_CA_FILE',
  'ESPACE_FEDERATION_CERT_FILE',
  'ESPACE_FEDERATION_KEY_FILE',
] as const;
/** Synapse's federation listener inside the federation network; never published. */
export const SYNAPSE_FEDERATION_PORT = 8448;

function federationFromEnv(env: NodeJS.ProcessEnv, serverName: string): FederationSettings | undefined {
  const given = FEDERATION_ENV.filter((name) => env[name]?.trim());
  if (given.length === 0) return undefined;
  const missing = FEDERATION_ENV.filter((name) => !env[name]?.trim());
  if (missing.length > 0)
    throw new HomeserverError(
      'CONFIG_INVALID',
      `federation: ${missing.join(', ')} not set (set all of ${FEDERATION_ENV.join(', ')}, or none)`,
    );
  const servers = env
    .ESPACE_FEDERATION_SERVERS!.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (!servers.includes(serverName))
    throw new HomeserverError('CONFIG_INVALID', `ESPACE_FEDERATION_SERVERS must list this server (${serverName})`);
  const role = env.ESPACE_FEDERATION_ROLE!.trim();
  if (role !== 'public' && role !== 'force')
    throw new HomeserverError('CONFIG_INVALID', `ESPACE_FEDERATION_ROLE must be public or force, got "${role}"`);
  const network = env.ESPACE_FEDERATION_NETWORK!.trim();
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(network))
    throw new HomeserverError('CONFIG_INVALID', `ESPACE_FEDERATION_NETWORK must be an IPv4 CIDR, got "${network}"`);
  return {
    port: SYNAPSE_FEDERATION_PORT,
    bindAddresses: ['0.0.0.0'],
    tlsCertificate: env.ESPACE_FEDERATION_CERT_FILE!.trim(),
    tlsPrivateKey: env.ESPACE_FEDERATION_KEY_FILE!.trim(),
    caCertificate: env.ESPACE_FEDERATION_CA_FILE!.trim(),
    domainWhitelist: servers,
    ipRangeWhitelist: [network],
    allowGuests: role === 'public',
  };
}

/** Where Synapse sees its files inside the official image; also where this service mounts the same volume. */
const CONTAINER_DATA_DIR = '/data';
/** Synapse's metrics listener inside the compose network (deploy/prometheus/prometheus.yml scrapes synapse:9000). */
export const SYNAPSE_METRICS_PORT = 9000;
/** Shorter than this, a secret was not produced by deploy/make-secrets.sh (or was truncated). */
const MIN_SECRET_LENGTH = 32;

function required(env: NodeJS.ProcessEnv, name: (typeof REQUIRED_ENV)[number]): string {
  const value = env[name]?.trim();
  if (!value) throw new HomeserverError('CONFIG_INVALID', `${name} is not set (see deploy/README.md)`);
  return value;
}

function readSecret(
  env: NodeJS.ProcessEnv,
  name: 'POSTGRES_PASSWORD_FILE' | 'ESPACE_REGISTRATION_SECRET_FILE',
): string {
  const file = required(env, name);
  let value: string;
  try {
    value = readFileSync(file, 'utf8').trim();
  } catch (cause) {
    throw new HomeserverError('CONFIG_INVALID', `${name}: cannot read ${file}; run deploy/make-secrets.sh first`, {
      cause,
    });
  }
  if (value.length < MIN_SECRET_LENGTH || /\s/.test(value)) {
    throw new HomeserverError(
      'CONFIG_INVALID',
      `${name}: ${file} must hold one word of at least ${MIN_SECRET_LENGTH} characters; run deploy/make-secrets.sh`,
    );
  }
  return value;
}

/** Writes beside the target then renames, so Synapse never reads a half-written file after a crash. */
function writePrivate(path: string, text: string): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

export interface ComposeRenderResult {
  homeserverPath: string;
  logPath: string;
  /** One file per worker (workers/NAME.yaml), when the `workers` profile is on. */
  workerPaths: string[];
}

/** The `workers` profile is on when COMPOSE_PROFILES (handed over as ESPACE_COMPOSE_PROFILES) names it. */
export function workersEnabled(env: NodeJS.ProcessEnv): boolean {
  return (env.ESPACE_COMPOSE_PROFILES ?? '')
    .split(',')
    .map((item) => item.trim())
    .includes('workers');
}

/**
 * `dataDir` is where the files are written. Synapse's paths inside them point at `synapseDir`: /data in compose,
 * where the same volume is mounted in the Synapse container (a test passes a temporary folder as `dataDir`), or
 * SYNAPSE_DATA_DIR when Synapse runs on this machine.
 */
export function renderForCompose(
  env: NodeJS.ProcessEnv,
  dataDir = env.SYNAPSE_DATA_DIR ?? CONTAINER_DATA_DIR,
  synapseDir = env.SYNAPSE_DATA_DIR ?? CONTAINER_DATA_DIR,
): ComposeRenderResult {
  const serverName = required(env, 'ESPACE_SERVER_NAME');
  const publicBaseUrl = required(env, 'ESPACE_PUBLIC_BASEURL');
  if (!/^https:\/\/[^/]+\/$/.test(publicBaseUrl)) {
    throw new HomeserverError(
      'CONFIG_INVALID',
      `ESPACE_PUBLIC_BASEURL must look like https://host/ (got "${publicBaseUrl}")`,
    );
  }

  // renderHomeserverConfig takes a URL and decodes its user and password. The URL setters alone leave '%' as it
  // is, so encode first: any password an operator chose then survives the round trip.
  const database = new URL(`postgres://${required(env, 'POSTGRES_HOST')}:${env.POSTGRES_PORT ?? '5432'}`);
  database.username = encodeURIComponent(required(env, 'POSTGRES_USER'));
  database.password = encodeURIComponent(readSecret(env, 'POSTGRES_PASSWORD_FILE'));
  database.pathname = `/${required(env, 'POSTGRES_DB')}`;

  // The macaroon and form secrets are Synapse's alone: generated on first run into the data volume, like the
  // native setup does. The registration shared secret is also the bot's (it creates its own admin account with
  // it), so it comes from the operator's secret file that the bot is given too.
  const secrets = {
    ...loadOrCreateSecrets(join(dataDir, 'secrets.json')),
    registrationSharedSecret: readSecret(env, 'ESPACE_REGISTRATION_SECRET_FILE'),
  };

  const federation = federationFromEnv(env, serverName);
  const inside = (name: string): string => join(synapseDir, name);
  const port = Number(env.ESPACE_SYNAPSE_PORT ?? '8008');
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new HomeserverError('CONFIG_INVALID', `ESPACE_SYNAPSE_PORT must be a port number`);
  const metricsPort = Number(env.ESPACE_SYNAPSE_METRICS_PORT ?? SYNAPSE_METRICS_PORT);
  if (!Number.isInteger(metricsPort) || metricsPort < 1 || metricsPort > 65535)
    throw new HomeserverError('CONFIG_INVALID', `ESPACE_SYNAPSE_METRICS_PORT must be a port number`);
  const rendered = renderHomeserverConfig({
    serverName,
    publicBaseUrl,
    port,
    // Inside the compose network only: no port of Synapse is published, the proxy and the bot reach it by name.
    bindAddresses: [env.ESPACE_SYNAPSE_BIND ?? '0.0.0.0'],
    // Only the proxy and the bot can reach Synapse, and the proxy replaces X-Forwarded-For with the client's
    // address: Synapse's per-address guest limits and the grave-danger disclosure need that real address.
    xForwarded: true,
    database: { kind: 'postgres', url: database.toString() },
    dataDir: synapseDir,
    paths: {
      pidFile: inside('homeserver.pid'),
      logConfig: inside('log.yaml'),
      logFile: inside('homeserver.log'),
      mediaStore: inside('media'),
      signingKey: inside('signing.key'),
    },
    secrets,
    retention: { min: env.ESPACE_RETENTION_MIN ?? '1d', max: env.ESPACE_RETENTION_MAX ?? '365d' },
    logLevel: 'INFO',
    // Production: the template as it is. The test layer must never reach this file.
    layers: [],
    // Scraped by the prometheus service over the compose network; the port is not published and the proxy
    // routes nothing to it.
    // Natively (scripts/production.ts) on loopback and a port of its own: ESPACE_SYNAPSE_METRICS_BIND, _PORT.
    metrics: {
      port: metricsPort,
      bindAddresses: [env.ESPACE_SYNAPSE_METRICS_BIND ?? env.ESPACE_SYNAPSE_BIND ?? '0.0.0.0'],
    },
    ...(federation ? { federation } : {}),
  });

  const homeserverPath = join(dataDir, 'homeserver.yaml');
  const logPath = join(dataDir, 'log.yaml');
  const workerPaths: string[] = [];
  let homeserver = rendered.homeserver;
  if (workersEnabled(env)) {
    // Scaled out (docker-compose.yml, profile `workers`): the same file plus the shared worker settings, and one
    // file per worker beside it (synapse/src/workers.ts).
    const secretFile = join(dataDir, 'worker_replication_secret');
    const { secret, created } = loadOrCreateReplicationSecret(secretFile);
    if (created) writePrivate(secretFile, `${secret}\n`);
    const params = { mainHost: env.ESPACE_SYNAPSE_MAIN_HOST ?? 'synapse', synapseDir, replicationSecret: secret };
    homeserver = addWorkersToHomeserver(homeserver, params);
    mkdirSync(join(dataDir, 'workers'), { recursive: true, mode: 0o700 });
    for (const worker of WORKERS) {
      const path = join(dataDir, 'workers', `${worker.name}.yaml`);
      writePrivate(path, renderWorkerConfig(worker, params));
      writePrivate(
        join(dataDir, 'workers', `${worker.name}.log.yaml`),
        renderWorkerLog(rendered.log, worker, synapseDir),
      );
      workerPaths.push(path);
    }
  }
  writePrivate(homeserverPath, homeserver);
  writePrivate(logPath, rendered.log);
  return { homeserverPath, logPath, workerPaths };
}

if (import.meta.main) {
  try {
    const { homeserverPath } = renderForCompose(process.env);
    process.stdout.write(`synapse-config: wrote ${homeserverPath} from synapse/config/homeserver.template.yaml\n`);
  } catch (error) {
    // The message names the variable or file at fault and never a secret's value.
    process.stderr.write(`synapse-config: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
