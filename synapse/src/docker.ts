import { mkdirSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { renderHomeserverConfig, type ConfigLayer } from './config.ts';
import { HomeserverError } from './errors.ts';
import { logger } from './log.ts';
import { loadOrCreateSecrets } from './secrets.ts';
import type { Homeserver } from './types.ts';

const log = logger.child({ module: 'docker' });

type Testcontainers = typeof import('testcontainers');

/**
 * testcontainers is an optional peer dependency (a devDependency here): a production install
 * (`npm ci --omit=dev`) does not have it, and only this Docker source needs it.
 */
async function loadTestcontainers(): Promise<Testcontainers | undefined> {
  try {
    return await import('testcontainers');
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === 'ERR_MODULE_NOT_FOUND' && String(message).includes("'testcontainers'")) return undefined;
    throw error;
  }
}

/** The official image, pinned to the Synapse version the native tree was verified with (docker-compose.yml too). */
export const SYNAPSE_IMAGE = 'matrixdotorg/synapse:v1.160.0';

/** True when a Docker engine answers (not merely when the docker client is installed). */
export async function dockerEngineReachable(): Promise<boolean> {
  const socket = process.env.DOCKER_HOST ?? '/var/run/docker.sock';
  if (!process.env.DOCKER_HOST && !existsSync(socket)) return false;
  const testcontainers = await loadTestcontainers();
  if (!testcontainers) {
    log.info('a Docker engine may answer, but testcontainers is not installed: not using it');
    return false;
  }
  try {
    await testcontainers.getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the official Synapse image through testcontainers, with the same rendered configuration as the native
 * tree. Used when a Docker engine is reachable (docs/environment.md, "Synapse": none is on our own machines, so
 * this path is
 * exercised only where one exists).
 */
export async function startDockerSynapse(options: {
  dataDir: string;
  serverName: string;
  layers: ConfigLayer[];
  retention: { min: string; max: string };
}): Promise<Homeserver> {
  const testcontainers = await loadTestcontainers();
  if (!testcontainers) {
    throw new HomeserverError(
      'DOCKER_FAILED',
      'the Docker source needs the testcontainers package, which this install does not have: ' +
        'run npm install (with dev dependencies), or set ESPACE_SYNAPSE_SOURCE=native or existing',
    );
  }
  const { GenericContainer, Wait } = testcontainers;
  const { dataDir, serverName } = options;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secrets = loadOrCreateSecrets(join(dataDir, 'secrets.json'));
  const inside = (name: string) => `/data/${name}`;
  const rendered = renderHomeserverConfig({
    serverName,
    publicBaseUrl: 'http://localhost:8008/',
    port: 8008,
    bindAddresses: ['0.0.0.0'],
    xForwarded: false,
    database: { kind: 'sqlite', path: inside('homeserver.db') },
    dataDir: '/data',
    paths: {
      pidFile: inside('homeserver.pid'),
      logConfig: inside('log.yaml'),
      logFile: inside('homeserver.log'),
      mediaStore: inside('media'),
      signingKey: inside('signing.key'),
    },
    secrets,
    retention: options.retention,
    logLevel: 'INFO',
    layers: options.layers,
  });
  writeFileSync(join(dataDir, 'homeserver.yaml'), rendered.homeserver, { mode: 0o600 });
  writeFileSync(join(dataDir, 'log.yaml'), rendered.log, { mode: 0o600 });
  try {
    const container = await new GenericContainer(SYNAPSE_IMAGE)
      .withEnvironment({
        SYNAPSE_CONFIG_PATH: '/data/homeserver.yaml',
        UID: String(process.getuid?.() ?? 991),
        GID: String(process.getgid?.() ?? 991),
      })
      .withBindMounts([{ source: dataDir, target: '/data', mode: 'rw' }])
      .withExposedPorts(8008)
      .withWaitStrategy(Wait.forHttp('/health', 8008).forStatusCode(200))
      .withStartupTimeout(120_000)
      .start();
    const baseUrl = `http://${container.getHost()}:${container.getMappedPort(8008)}`;
    log.info({ baseUrl, image: SYNAPSE_IMAGE }, 'Synapse container is healthy');
    return {
      source: 'docker',
      baseUrl,
      serverName,
      version: SYNAPSE_IMAGE.split(':v')[1] ?? 'unknown',
      registrationSharedSecret: secrets.registrationSharedSecret,
      dataDir,
      stop: async () => {
        await container.stop();
      },
    };
  } catch (cause) {
    throw new HomeserverError('DOCKER_FAILED', `starting ${SYNAPSE_IMAGE} failed: ${(cause as Error).message}`, {
      cause,
    });
  }
}
