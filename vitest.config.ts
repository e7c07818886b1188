import { defineConfig } from 'vitest/config';

/**
 * One test command for the whole repository (`npm test`), in tiers:
 * - unit: pure logic beside the code, and static checks of deployment files (tests/static), no network;
 * - integration: against a real Synapse started once per run by tests/support/global-setup.ts;
 * - production: the production-shaped stack (PostgreSQL, built apps, Caddy with TLS), tests/production.
 * Packages with their own Vite setup (web, agent-client) add their projects here.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'protocol/src/**/*.test.ts',
            'synapse/src/**/*.test.ts',
            'bot/src/**/*.test.ts',
            'tests/static/**/*.test.ts',
          ],
        },
      },
      {
        // The site's own unit tests run with its SvelteKit/Vite setup ($app, #lib imports).
        extends: './web/vite.config.ts',
        test: { name: 'web', root: './web', include: ['src/**/*.test.ts'] },
      },
      // The agent client's unit tests (with its Svelte setup), and its browser tests: Chromium against a real
      // Synapse and the real bot, started by that project itself.
      './agent-client/vite.config.ts',
      './tests/e2e/agent-client/vitest.config.ts',
      // The site in Chromium against the real stack (built site, real bot), and young person + agent together.
      './tests/e2e/web/vitest.config.ts',
      // The production-shaped stack (npm run start:production), started once, tested over HTTPS through its proxy.
      './tests/production/vitest.config.ts',
      {
        // The federated topology (public, police and gendarmerie homeservers, in a closed federation), started by
        // each file itself: tests/federation.
        test: {
          name: 'federation',
          include: ['tests/federation/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          globalSetup: ['tests/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
