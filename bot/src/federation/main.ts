/**
 * The federated bootstrap as a one-shot process, as `bot/src/bootstrap/main.ts` is for one server: the compose
 * service `bootstrap` of the federated profile (docker-compose.federated.yml) runs exactly
 * `node bot/src/federation/main.ts`, before the bot starts. It creates (or finds again) the bot's admin account on
 * each of the three servers, each force's space and rooms on its own server, and, only with `--demo`, each force's
 * demonstration staff on its own server; it writes federation.json and servers/<role>/ in the state folder (what
 * makes the bot run federated, bot/src/index.ts `connect`), then exits 0. Idempotent: every later run changes
 * nothing.
 *
 * Environment (FEDERATED_BOOTSTRAP_ENV; tests/static/compose-federated.test.ts checks compose passes exactly
 * these). The public server keeps the single-server bootstrap's names; each force's server has its own:
 *   ESPACE_SYNAPSE_URL, ESPACE_POLICE_SYNAPSE_URL, ESPACE_GENDARMERIE_SYNAPSE_URL
 *       each server's client API, directly (the bot reaches the same URLs: they are written to federation.json)
 *   ESPACE_SYNAPSE_REGISTRATION_SECRET, ESPACE_POLICE_SYNAPSE_REGISTRATION_SECRET, ESPACE_GENDARMERIE_…
 *       each server's registration_shared_secret (from files: deploy/docker-entrypoint.sh)
 *   ESPACE_SYNAPSE_SERVER_NAME, ESPACE_POLICE_SYNAPSE_SERVER_NAME, ESPACE_GENDARMERIE_SYNAPSE_SERVER_NAME
 *       each server's name, checked against the one it serves before any room is made (optional)
 *   ESPACE_STATE_DIR   the bot's state folder
 *   ESPACE_DEMO=1      same as --demo
 * Only this step holds the registration secrets; the bot never needs them.
 */
import { startHomeserver } from '@espace-mineurs/synapse';
import { logger } from '../log.ts';
import { bootstrapFederated, type FederatedHomeservers, type ServerRole } from './bootstrap.ts';

/** The names each server's URL, registration secret and expected server name are read from. */
export const FEDERATED_BOOTSTRAP_SERVERS = {
  public: {
    url: 'ESPACE_SYNAPSE_URL',
    secret: 'ESPACE_SYNAPSE_REGISTRATION_SECRET',
    serverName: 'ESPACE_SYNAPSE_SERVER_NAME',
  },
  police: {
    url: 'ESPACE_POLICE_SYNAPSE_URL',
    secret: 'ESPACE_POLICE_SYNAPSE_REGISTRATION_SECRET',
    serverName: 'ESPACE_POLICE_SYNAPSE_SERVER_NAME',
  },
  gendarmerie: {
    url: 'ESPACE_GENDARMERIE_SYNAPSE_URL',
    secret: 'ESPACE_GENDARMERIE_SYNAPSE_REGISTRATION_SECRET',
    serverName: 'ESPACE_GENDARMERIE_SYNAPSE_SERVER_NAME',
  },
} as const satisfies Record<ServerRole, { url: string; secret: string; serverName: string }>;

export const FEDERATED_BOOTSTRAP_ENV = [
  ...Object.values(FEDERATED_BOOTSTRAP_SERVERS).flatMap((names) => [names.url, names.secret, names.serverName]),
  'ESPACE_STATE_DIR',
  'ESPACE_DEMO',
] as const;

const ROLES = ['public', 'police', 'gendarmerie'] as const;

const log = logger.child({ module: 'federation.main' });

/** Each server's URL and registration secret, every missing name reported before any server is called. */
function serversFromEnv(env: NodeJS.ProcessEnv): Record<ServerRole, { url: string; secret: string }> {
  const missing: string[] = [];
  const servers = {} as Record<ServerRole, { url: string; secret: string }>;
  for (const role of ROLES) {
    const names = FEDERATED_BOOTSTRAP_SERVERS[role];
    const url = env[names.url];
    const secret = env[names.secret];
    if (!url) missing.push(`${names.url} (the ${role} server's client API)`);
    if (!secret) missing.push(`${names.secret} (give it as ${names.secret}_FILE)`);
    servers[role] = { url: url ?? '', secret: secret ?? '' };
  }
  if (missing.length > 0) throw new Error(`not set: ${missing.join(', ')}`);
  return servers;
}

export async function runFederatedBootstrap(env: NodeJS.ProcessEnv, argv: readonly string[]): Promise<void> {
  const stateDir = env.ESPACE_STATE_DIR;
  if (!stateDir) throw new Error('ESPACE_STATE_DIR is not set (the bot state folder)');
  const given = serversFromEnv(env);
  const demo = argv.includes('--demo') || env.ESPACE_DEMO === '1';
  const servers = {} as FederatedHomeservers;
  for (const role of ROLES) {
    servers[role] = await startHomeserver({
      dataDir: stateDir,
      source: 'existing',
      env: { ESPACE_SYNAPSE_URL: given[role].url, ESPACE_SYNAPSE_REGISTRATION_SECRET: given[role].secret },
    });
  }
  const serverNames: Partial<Record<ServerRole, string>> = {};
  for (const role of ROLES) {
    const expected = env[FEDERATED_BOOTSTRAP_SERVERS[role].serverName];
    if (expected) serverNames[role] = expected;
  }
  const result = await bootstrapFederated(servers, { stateDir, demo, serverNames });
  // Names and counts only: passwords and tokens stay in the 0600 files of the state folder.
  log.info(
    {
      servers: ROLES.map((role) => result.servers[role].serverName),
      demoAccounts: result.demo.length,
      newDemoAccounts: result.newDemoAccounts.length,
    },
    'federated bootstrap done',
  );
}

if (import.meta.main) {
  try {
    await runFederatedBootstrap(process.env, process.argv.slice(2));
    process.exit(0);
  } catch (error) {
    log.fatal({ err: error instanceof Error ? error.message : String(error) }, 'federated bootstrap failed');
    process.exit(1);
  }
}
