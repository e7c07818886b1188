import { join } from 'node:path';
import type { ConfigLayer, DatabaseSettings } from './config.ts';
import { dockerEngineReachable, startDockerSynapse } from './docker.ts';
import { HomeserverError } from './errors.ts';
import { useExistingSynapse } from './existing.ts';
import { logger } from './log.ts';
import { startNativeSynapse } from './native.ts';
import { freePort } from './net.ts';
import { defaultTreeDir, ensureSynapseTree } from './tree.ts';
import type { Homeserver, HomeserverSource } from './types.ts';

const log = logger.child({ module: 'homeserver' });

export interface HomeserverOptions {
  /** Where config, secrets, database and logs live (created 0700). Ignored for an existing server. */
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  serverName?: string;
  layers?: ConfigLayer[];
  database?: DatabaseSettings;
  retention?: { min: string; max: string };
  /** Force a source instead of the usual order (existing → docker → native). */
  source?: HomeserverSource;
  treeDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Native only: serve Synapse's metrics on 127.0.0.1 at this port (0 picks a free one); absent: metrics off. */
  metricsPort?: number;
}

export const DEFAULT_SERVER_NAME = 'espace-mineurs.localhost';

function databaseFromEnv(env: NodeJS.ProcessEnv): DatabaseSettings | undefined {
  const url = env.ESPACE_SYNAPSE_DATABASE_URL;
  return url ? { kind: 'postgres', url } : undefined;
}

/**
 * Provides a running Synapse, in this order: an existing server named by ESPACE_SYNAPSE_URL; the official image
 * when a Docker engine is reachable; otherwise the native tree from Debian sid (built once, cached outside the
 * clone). ESPACE_SYNAPSE_SOURCE=native|docker|existing forces one.
 */
export async function startHomeserver(options: HomeserverOptions): Promise<Homeserver> {
  const env = options.env ?? process.env;
  const forced = options.source ?? (env.ESPACE_SYNAPSE_SOURCE as HomeserverSource | undefined);
  if (forced && !['existing', 'docker', 'native'].includes(forced)) {
    throw new HomeserverError(
      'CONFIG_INVALID',
      `ESPACE_SYNAPSE_SOURCE must be existing, docker or native, got "${forced}"`,
    );
  }
  const serverName = options.serverName ?? env.ESPACE_SYNAPSE_SERVER_NAME ?? DEFAULT_SERVER_NAME;
  const layers = options.layers ?? [];
  const retention = options.retention ?? { min: '1d', max: '365d' };

  if (forced === 'existing' || (!forced && env.ESPACE_SYNAPSE_URL)) {
    if (!env.ESPACE_SYNAPSE_URL)
      throw new HomeserverError('CONFIG_INVALID', 'ESPACE_SYNAPSE_SOURCE=existing needs ESPACE_SYNAPSE_URL');
    log.info('using the existing homeserver named by ESPACE_SYNAPSE_URL');
    return useExistingSynapse({
      url: env.ESPACE_SYNAPSE_URL,
      ...(env.ESPACE_SYNAPSE_REGISTRATION_SECRET
        ? { registrationSharedSecret: env.ESPACE_SYNAPSE_REGISTRATION_SECRET }
        : {}),
      ...(env.ESPACE_SYNAPSE_ADMIN_TOKEN ? { adminToken: env.ESPACE_SYNAPSE_ADMIN_TOKEN } : {}),
    });
  }

  if (forced === 'docker' || (!forced && (await dockerEngineReachable()))) {
    log.info('a Docker engine answers: using the official Synapse image');
    return startDockerSynapse({ dataDir: join(options.dataDir, 'docker'), serverName, layers, retention });
  }

  const tree = await ensureSynapseTree(options.treeDir ?? defaultTreeDir());
  const port = options.port === 0 ? await freePort() : (options.port ?? 8008);
  const database = options.database ?? databaseFromEnv(env);
  const metricsPort = options.metricsPort === 0 ? await freePort() : options.metricsPort;
  return startNativeSynapse({
    ...(metricsPort ? { metricsPort } : {}),
    tree,
    dataDir: options.dataDir,
    port,
    serverName,
    layers,
    retention,
    ...(database ? { database } : {}),
  });
}
