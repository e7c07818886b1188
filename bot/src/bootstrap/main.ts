/**
 * The bootstrap as a one-shot process: the compose service `bootstrap` (docker-compose.yml) and the native
 * production-shaped stack (scripts/production.ts) both run exactly `node bot/src/bootstrap/main.ts`, before the
 * bot starts. It creates (or finds again) the bot's admin account, the forces' spaces and rooms, and, only with
 * `--demo`, the demonstration staff; then it exits 0. Idempotent: every later run changes nothing.
 *
 * Environment (BOOTSTRAP_ENV; tests/static checks that compose passes no other):
 *   ESPACE_SYNAPSE_URL                  Synapse's client API, directly (not through the public proxy)
 *   ESPACE_SYNAPSE_REGISTRATION_SECRET  its registration_shared_secret (from a file: deploy/docker-entrypoint.sh)
 *   ESPACE_SYNAPSE_SERVER_NAME          the server name, checked against the one Synapse reports
 *   ESPACE_STATE_DIR                    the bot's state folder: bot-credentials.json (and demo-credentials.json)
 *   ESPACE_DEMO=1                       same as --demo
 * Only this step holds the registration secret; the bot itself never needs it (it logs in with its saved
 * credentials).
 */
import { startHomeserver } from '@espace-mineurs/synapse';
import { logger } from '../log.ts';
import { bootstrap } from './index.ts';

export const BOOTSTRAP_ENV = [
  'ESPACE_SYNAPSE_URL',
  'ESPACE_SYNAPSE_REGISTRATION_SECRET',
  'ESPACE_SYNAPSE_SERVER_NAME',
  'ESPACE_STATE_DIR',
  'ESPACE_DEMO',
] as const;

const log = logger.child({ module: 'bootstrap.main' });

export async function runBootstrap(env: NodeJS.ProcessEnv, argv: readonly string[]): Promise<void> {
  const stateDir = env.ESPACE_STATE_DIR;
  if (!env.ESPACE_SYNAPSE_URL)
    throw new Error('ESPACE_SYNAPSE_URL is not set (Synapse client API, e.g. http://synapse:8008)');
  if (!stateDir) throw new Error('ESPACE_STATE_DIR is not set (the bot state folder)');
  if (!env.ESPACE_SYNAPSE_REGISTRATION_SECRET)
    throw new Error(
      'ESPACE_SYNAPSE_REGISTRATION_SECRET is not set (give it as ESPACE_SYNAPSE_REGISTRATION_SECRET_FILE)',
    );
  const demo = argv.includes('--demo') || env.ESPACE_DEMO === '1';
  const hs = await startHomeserver({
    dataDir: stateDir,
    source: 'existing',
    env: {
      ESPACE_SYNAPSE_URL: env.ESPACE_SYNAPSE_URL,
      ESPACE_SYNAPSE_REGISTRATION_SECRET: env.ESPACE_SYNAPSE_REGISTRATION_SECRET,
    },
  });
  const result = await bootstrap(hs, { stateDir, demo });
  const expected = env.ESPACE_SYNAPSE_SERVER_NAME;
  if (expected && expected !== result.serverName) {
    throw new Error(`Synapse serves ${result.serverName}, but ESPACE_SYNAPSE_SERVER_NAME is ${expected}`);
  }
  // Names and counts only: passwords stay in the 0600 files of the state folder.
  log.info(
    {
      serverName: result.serverName,
      bot: result.bot.userId,
      demoAccounts: result.demo.length,
      newDemoAccounts: result.newDemoAccounts.length,
    },
    'bootstrap done',
  );
}

if (import.meta.main) {
  try {
    await runBootstrap(process.env, process.argv.slice(2));
    process.exit(0);
  } catch (error) {
    log.fatal({ err: error instanceof Error ? error.message : String(error) }, 'bootstrap failed');
    process.exit(1);
  }
}
