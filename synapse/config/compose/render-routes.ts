/**
 * Writes the proxy's routes to Synapse's workers (deploy/proxy/routes/workers/synapse-workers.caddy) from
 * synapse/src/workers.ts. Run after changing the workers or their routes: `node synapse/config/compose/render-routes.ts`;
 * tests/static/workers.test.ts fails while the committed file differs from this rendering.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderCaddyRoutes } from '../../src/workers.ts';

export const ROUTES_FILE = fileURLToPath(
  new URL('../../../deploy/proxy/routes/workers/synapse-workers.caddy', import.meta.url),
);

if (import.meta.main) {
  mkdirSync(fileURLToPath(new URL('../../../deploy/proxy/routes/workers/', import.meta.url)), { recursive: true });
  writeFileSync(ROUTES_FILE, renderCaddyRoutes());
  process.stdout.write(`wrote ${ROUTES_FILE}\n`);
}
