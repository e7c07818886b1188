import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startAgentClient } from '../../../support/agent-client-server.ts';
import { startHomeserver, type Homeserver } from '@espace-mineurs/synapse';
import { bootstrap, type BootstrapResult } from '@espace-mineurs/bot/bootstrap';
import type { Engine } from './engine.ts';
import { RealEngine } from './real-engine.ts';

/** Synapse + bootstrap + a conversation engine + the agent client served by Vite + Chromium. */
export interface AgentClientStack {
  homeserver: Homeserver;
  boot: BootstrapResult;
  engine: Engine;
  clientUrl: string;
  browser: Browser;
  stop(): Promise<void>;
}

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function startAgentClientStack(): Promise<AgentClientStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'espace-agent-e2e-'));
  const homeserver = await startHomeserver({
    dataDir: join(dataDir, 'synapse'),
    port: 0,
    layers: ['test'],
    retention: { min: '1s', max: '365d' },
  });
  const boot = await bootstrap(homeserver, { stateDir: dataDir, demo: true });
  // The real conversation service, in this process.
  const engine: Engine = await RealEngine.start({
    baseUrl: homeserver.baseUrl,
    stateDir: dataDir,
    botToken: boot.bot.accessToken,
    botUserId: boot.bot.userId,
    queues: { police: boot.forces.police.queueRoomId, gendarmerie: boot.forces.gendarmerie.queueRoomId },
  });

  const agentClient = await startAgentClient(homeserver.baseUrl);
  const clientUrl = agentClient.url;

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // Playwright gives each launch a fresh profile directory itself (it refuses --user-data-dir here).
    args: CHROMIUM_FLAGS.filter((flag) => flag !== '--headless'),
    headless: true,
  });

  return {
    homeserver,
    boot,
    engine,
    clientUrl,
    browser,
    async stop() {
      await browser.close().catch(() => undefined);
      await engine.stop();
      await agentClient.close();
      await homeserver.stop();
      if (!process.env.ESPACE_KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A served agent client and the demo accounts that may log into it. */
export type LoginTarget = Pick<AgentClientStack, 'clientUrl'> & { boot: Pick<BootstrapResult, 'demo'> };

/** A demo account by its handle (`pn-agent-1`); `.localpart` is its opaque login, what one types. */
export function demoAccount(stack: LoginTarget, localpart: string) {
  const account = stack.boot.demo.find((candidate) => candidate.handle === localpart);
  if (!account) throw new Error(`no demo account ${localpart}`);
  return account;
}
