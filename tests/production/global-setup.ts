import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { parse, stringify } from 'yaml';
import { freePort } from '@espace-mineurs/synapse';
import { ROOT, spawnProductionStack, type Ready, type SpawnedStack } from './spawn-stack.ts';
import type { ProductionStack } from './stack.ts';

let stack: SpawnedStack | undefined;
let work: string | undefined;

/**
 * The operator's Alertmanager configuration for this run: deploy/alertmanager/alertmanager.example.yml with its
 * routes as they are and its one receiver pointed at a webhook on loopback, which alerting.test.ts serves.
 */
function alertmanagerConfig(file: string, port: number): void {
  const config = parse(readFileSync(join(ROOT, 'deploy', 'alertmanager', 'alertmanager.example.yml'), 'utf8')) as {
    receivers: Array<{ name: string; webhook_configs?: Array<{ url: string }> }>;
  };
  const receiver = config.receivers.find((candidate) => candidate.name === 'astreinte');
  if (!receiver?.webhook_configs?.[0]) throw new Error('alertmanager.example.yml has no webhook receiver "astreinte"');
  receiver.webhook_configs[0].url = `http://127.0.0.1:${port}/alertes`;
  writeFileSync(file, stringify(config), { mode: 0o600 });
}

/** Starts `scripts/production.ts --demo` once, as `npm run start:production -- --demo` does, and waits for it. */
export async function setup(project: TestProject): Promise<void> {
  // A stack a developer already runs (`npm run start:production -- --demo`): its last line, {"ready":true,…}.
  if (process.env.ESPACE_PRODUCTION_READY) {
    const ready = JSON.parse(process.env.ESPACE_PRODUCTION_READY) as Ready;
    const demo = JSON.parse(
      readFileSync(join(ready.botState, 'demo-credentials.json'), 'utf8'),
    ) as ProductionStack['demo'];
    project.provide('productionStack', {
      ...ready,
      demo,
      alertWebhookPort: Number(process.env.ESPACE_ALERT_WEBHOOK_PORT ?? 0),
    });
    return;
  }
  const started = Date.now();
  work = mkdtempSync(join(tmpdir(), 'espace-production-'));
  // PostgreSQL's own user must traverse it to reach its cluster.
  chmodSync(work, 0o711);
  const alertWebhookPort = await freePort();
  alertmanagerConfig(join(work, 'alertmanager.yml'), alertWebhookPort);
  stack = await spawnProductionStack(join(work, 'data'), ['--demo'], {
    // Outside the data folder, as on a real install: the restore test destroys the data folder, not this.
    ESPACE_DELETION_JOURNAL: join(work, 'deletion-journal', 'deletions.jsonl'),
    ESPACE_ALERTMANAGER_CONFIG: join(work, 'alertmanager.yml'),
  });
  const demo = JSON.parse(
    readFileSync(join(stack.ready.botState, 'demo-credentials.json'), 'utf8'),
  ) as ProductionStack['demo'];
  project.provide('productionStack', { ...stack.ready, demo, alertWebhookPort });
  process.stderr.write(
    `[production] stack ready in ${Date.now() - started} ms: ${stack.ready.siteUrl}, ${stack.ready.agentsUrl}\n`,
  );
}

/** Stops it as Ctrl-C would, and fails the run if any of its processes is left behind. */
export async function teardown(): Promise<void> {
  try {
    await stack?.stop();
  } finally {
    if (work && !process.env.ESPACE_KEEP_TEST_DATA) rmSync(work, { recursive: true, force: true });
  }
}
