import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Browser tests of the young person's site (tests/e2e/web) and of the young person and an agent together
 * (tests/e2e/full): Chromium against one real stack started by support/global-setup.ts — Synapse, the real bot,
 * the built site (build it first: npm run build -w web), the agent client (Vite) and a neutral quick-exit page.
 * Run from the repository root: npx vitest run --config tests/e2e/web/vitest.config.ts
 */
export default defineConfig({
  test: {
    name: 'e2e-web',
    root: resolve(import.meta.dirname, '..'),
    include: ['web/**/*.e2e.test.ts', 'full/**/*.e2e.test.ts'],
    globalSetup: [resolve(import.meta.dirname, 'support/global-setup.ts')],
    testTimeout: 90_000,
    hookTimeout: 240_000,
    // One stack, one bot: the files share the queues, so they run one after the other.
    fileParallelism: false,
  },
});
