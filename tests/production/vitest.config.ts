import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * The production-shaped stack (scripts/production.ts: PostgreSQL, Synapse on it, the bootstrap, the bot, the
 * built site and agent client, Caddy with TLS in front, Prometheus and Alertmanager), started once by
 * global-setup.ts, tested from outside: over HTTPS through the proxy, in Chromium. Needs the built site (npm run
 * build -w web; scripts/test.sh does it).
 */
export default defineConfig({
  test: {
    name: 'production',
    root: import.meta.dirname,
    include: ['**/*.test.ts'],
    globalSetup: [resolve(import.meta.dirname, 'global-setup.ts')],
    testTimeout: 120_000,
    hookTimeout: 480_000,
    // One stack: the files share it, one after the other.
    fileParallelism: false,
  },
});
