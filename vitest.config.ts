import { defineConfig } from 'vitest/config';

/**
 * One test command for the whole repository (`npm test`), in tiers:
 * - unit: pure logic beside the code, and static checks of deployment files (tests/static), no network;
 * - integration: against a real Synapse started once per run by tests/support/global-setup.ts.
 * Packages with their own Vite setup (web, agent-client) add their projects here.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['protocol/src/**/*.test.ts', 'synapse/src/**/*.test.ts', 'bot/src/**/*.test.ts', 'tests/static/**/*.test.ts'],
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
