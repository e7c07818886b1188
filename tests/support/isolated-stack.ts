import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHomeserver, type Homeserver } from '@espace-mineurs/synapse';
import { bootstrap, type BootstrapResult } from '@espace-mineurs/bot/bootstrap';
import { loginDemo, registerGuest, type Session } from './matrix.ts';

export interface IsolatedStack {
  homeserver: Homeserver;
  result: BootstrapResult;
  dataDir: string;
  /** A new guest on this stack's homeserver. */
  guest(): Promise<Session>;
  /** Logs in as one of this stack's demo staff. */
  login(localpart: string): Promise<Session>;
  stop(): Promise<void>;
}

/**
 * A Synapse of its own, bootstrapped, for tests that kill the bot or change its timeouts: the shared stack's bot
 * must keep running for every other test file.
 */
export async function startIsolatedStack(): Promise<IsolatedStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'espace-isolated-'));
  const homeserver = await startHomeserver({
    dataDir: join(dataDir, 'synapse'),
    port: 0,
    layers: ['test'],
    retention: { min: '1s', max: '365d' },
  });
  const result = await bootstrap(homeserver, { stateDir: dataDir, demo: true });
  return {
    homeserver,
    result,
    dataDir,
    guest: () => registerGuest(homeserver.baseUrl),
    login: (localpart) => loginDemo(localpart, { baseUrl: homeserver.baseUrl, demo: result.demo }),
    async stop() {
      await homeserver.stop();
      if (!process.env.ESPACE_KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
