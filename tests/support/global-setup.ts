import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startHomeserver, type Homeserver } from '@espace-mineurs/synapse';
import { bootstrap } from '@espace-mineurs/bot/bootstrap';
import { startTestBot, type RunningBot } from './bot-process.ts';
import type { StackInfo } from './stack.ts';

let homeserver: Homeserver | undefined;
let dataDir: string | undefined;
let bot: RunningBot | undefined;

/**
 * Starts one real Synapse for the whole test run (test override layer only), bootstraps it (bot, force spaces,
 * demo staff) and hands tests what they need through `inject('stack')`. Every test creates its own guests and
 * rooms, so tests never depend on one another.
 */
export async function setup(project: TestProject): Promise<void> {
  dataDir = mkdtempSync(join(tmpdir(), 'espace-tests-'));
  const started = Date.now();
  homeserver = await startHomeserver({
    dataDir: join(dataDir, 'synapse'),
    port: 0,
    layers: ['test'],
    retention: { min: '1s', max: '365d' },
  });
  const result = await bootstrap(homeserver, { stateDir: dataDir, demo: true });
  // One conversation service for the run (two bots on one account would both answer every event). Browser tests
  // read its URL from inject('stack').botUrl; its CORS origins come from ESPACE_TEST_WEB_ORIGINS when set.
  bot = await startTestBot({ homeserverUrl: homeserver.baseUrl, stateDir: dataDir });
  const stack: StackInfo = {
    baseUrl: homeserver.baseUrl,
    serverName: result.serverName,
    source: homeserver.source,
    synapseVersion: homeserver.version,
    dataDir,
    ...(homeserver.registrationSharedSecret ? { registrationSharedSecret: homeserver.registrationSharedSecret } : {}),
    bot: { userId: result.bot.userId, accessToken: result.bot.accessToken },
    forces: result.forces,
    demo: result.demo,
    botUrl: bot.url,
  };
  project.provide('stack', stack);
  process.stderr.write(
    `[tests] Synapse ${homeserver.version} (${homeserver.source}) ready at ${homeserver.baseUrl} in ${Date.now() - started} ms\n`,
  );
}

export async function teardown(): Promise<void> {
  await bot?.stop();
  await homeserver?.stop();
  if (dataDir && !process.env.ESPACE_KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
}
