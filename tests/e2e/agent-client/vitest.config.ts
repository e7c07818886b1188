import { defineConfig } from 'vitest/config';

/**
 * Browser tests of the agent client: a real Synapse, Chromium, the client served by Vite. Run from the
 * repository root: npx vitest run --config tests/e2e/agent-client/vitest.config.ts
 * (to join `npm test`, add this folder as a project in the root vitest.config.ts — see the agent-client report).
 */
export default defineConfig({
  test: {
    name: 'e2e-agent-client',
    root: import.meta.dirname,
    include: ['**/*.e2e.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
});
