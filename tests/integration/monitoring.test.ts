/**
 * Monitoring end to end: a real Prometheus (Debian's binary) scrapes a real bot and a real Synapse's metrics
 * listener with deploy/prometheus/prometheus.yml (targets swapped for this run's loopback ports, intervals
 * shortened) and evaluates deploy/prometheus/alerts.yml (EspaceQueueWithoutAgent's `for` shortened); the test
 * makes the alert's condition true with a real conversation and reads the firing alert from Prometheus's API.
 * The bot's readiness check is exercised on the same stack: ready, then not ready once Synapse stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Force } from '@espace-mineurs/protocol';
import { bootstrap, type BootstrapResult } from '@espace-mineurs/bot/bootstrap';
import { freePort, startHomeserver, type Homeserver } from '@espace-mineurs/synapse';
import { ROOT, startTestBot, type RunningBot } from '../support/bot-process.ts';
import { answerTriage, entryOf, openAndJoin, waitUntil } from '../support/conversation.ts';
import { registerGuest } from '../support/matrix.ts';

const ALERT = 'EspaceQueueWithoutAgent';
/** Seconds: scrape and evaluation every second, the alert after 3 s of its condition (2 minutes in production). */
const SHORT_FOR = '3s';
const SHORT_FOR_MS = 3_000;

interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

let dataDir: string;
let homeserver: Homeserver;
let result: BootstrapResult;
let bot: RunningBot;
let prometheus: ChildProcess | undefined;
let prometheusUrl: string;
let prometheusLog = '';

/** The production scrape configuration, pointed at this run's ports; job names and paths unchanged. */
function testPrometheusConfig(botUrl: string, synapseMetricsUrl: string): string {
  const config = parse(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
    global: Record<string, unknown>;
    rule_files: string[];
    scrape_configs: Array<{ job_name: string; metrics_path: string; static_configs: Array<{ targets: string[] }> }>;
  };
  config.global.scrape_interval = '1s';
  config.global.evaluation_interval = '1s';
  config.rule_files = ['alerts.yml'];
  const targets: Record<string, URL> = { bot: new URL(botUrl), synapse: new URL(synapseMetricsUrl) };
  for (const job of config.scrape_configs) {
    const target = targets[job.job_name];
    if (!target) throw new Error(`deploy/prometheus/prometheus.yml has a job this test does not know: ${job.job_name}`);
    if (job.job_name === 'synapse') expect(job.metrics_path).toBe(target.pathname);
    job.static_configs = [{ targets: [target.host] }];
  }
  expect(config.scrape_configs.map((job) => job.job_name).sort()).toEqual(['bot', 'synapse']);
  return stringify(config);
}

/** The production rules, with only the alert under test waiting SHORT_FOR instead of its production `for`. */
function testRules(): string {
  const rules = parse(readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; for?: string }> }>;
  };
  const rule = rules.groups.flatMap((group) => group.rules).find((candidate) => candidate.alert === ALERT);
  if (!rule) throw new Error(`deploy/prometheus/alerts.yml has no ${ALERT}`);
  expect(rule.for).toBe('2m');
  rule.for = SHORT_FOR;
  return stringify(rules);
}

async function promQuery(query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as {
    status: string;
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  if (body.status !== 'success') throw new Error(`query ${query}: ${JSON.stringify(body)}`);
  return body.data.result;
}

/** When Prometheus last evaluated the alert under test (ms since the epoch), from /api/v1/rules. */
async function lastEvaluationOfAlert(): Promise<number | undefined> {
  const response = await fetch(`${prometheusUrl}/api/v1/rules?type=alert`);
  const body = (await response.json()) as {
    status: string;
    data: { groups: Array<{ rules: Array<{ name: string; lastEvaluation?: string }> }> };
  };
  if (body.status !== 'success') throw new Error(`/api/v1/rules: ${JSON.stringify(body)}`);
  const evaluated = body.data.groups
    .flatMap((group) => group.rules)
    .find((rule) => rule.name === ALERT)?.lastEvaluation;
  return evaluated ? Date.parse(evaluated) : undefined;
}

async function promAlerts(): Promise<PromAlert[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/alerts`);
  const body = (await response.json()) as { status: string; data: { alerts: PromAlert[] } };
  if (body.status !== 'success') throw new Error(`/api/v1/alerts: ${JSON.stringify(body)}`);
  return body.data.alerts;
}

async function startPrometheus(botUrl: string, synapseMetricsUrl: string): Promise<void> {
  const dir = join(dataDir, 'prometheus');
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'prometheus.yml'), testPrometheusConfig(botUrl, synapseMetricsUrl));
  writeFileSync(join(dir, 'alerts.yml'), testRules());
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  prometheus.stderr!.on('data', (chunk: Buffer) => {
    prometheusLog = (prometheusLog + chunk.toString()).slice(-3000);
  });
  const spawned = await new Promise<Error | undefined>((resolve) => {
    prometheus!.once('spawn', () => resolve(undefined));
    prometheus!.once('error', resolve);
  });
  if (spawned) throw new Error(`cannot run prometheus (${spawned.message}): apt-get install prometheus (.ci/run does)`);
  await waitUntil(
    `Prometheus to be ready on ${prometheusUrl}`,
    async () => {
      if (prometheus!.exitCode !== null)
        throw new Error(`prometheus exited with ${prometheus!.exitCode}: ${prometheusLog}`);
      return (await fetch(`${prometheusUrl}/-/ready`)).ok ? true : undefined;
    },
    30_000,
  );
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'espace-monitoring-'));
  homeserver = await startHomeserver({
    dataDir: join(dataDir, 'synapse'),
    port: 0,
    metricsPort: 0,
    layers: ['test'],
    retention: { min: '1s', max: '365d' },
  });
  if (!homeserver.metricsUrl)
    throw new Error(`this test needs the native Synapse (its metrics listener); got ${homeserver.source}`);
  result = await bootstrap(homeserver, { stateDir: dataDir, demo: true });
  // Readiness at its smallest limits, so a stopped homeserver is seen quickly.
  bot = await startTestBot({
    homeserverUrl: homeserver.baseUrl,
    stateDir: dataDir,
    overrides: { readiness: { maxSyncAge: 30, maxAuditBacklog: 1 } },
  });
  await startPrometheus(bot.url, homeserver.metricsUrl);
  // A Synapse of its own, a bootstrap and Prometheus: on a loaded machine Synapse alone has taken 100 s to start.
}, 300_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await bot?.stop();
  await homeserver?.stop();
  if (dataDir && !process.env.ESPACE_KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
});

describe('monitoring (real Prometheus, real bot, real Synapse)', () => {
  it('reports the bot ready while it follows the homeserver, with figures only', async () => {
    const response = await fetch(`${bot.url}/readyz`);
    const text = await response.text();
    expect(response.status, text).toBe(200);
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body).toMatchObject({
      ready: true,
      reasons: [],
      syncFailures: 0,
      auditBacklog: { police: 0, gendarmerie: 0 },
    });
    expect(Object.keys(body).sort()).toEqual(['auditBacklog', 'ready', 'reasons', 'syncAgeSeconds', 'syncFailures']);
    expect(body.syncAgeSeconds).toBeLessThanOrEqual(30);
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
  });

  it('scrapes the bot and Synapse, and fires EspaceQueueWithoutAgent only once a young person waits with nobody on duty', async () => {
    await waitUntil(
      'Prometheus to scrape the bot and Synapse (up == 1 for both)',
      async () => {
        const up = await promQuery('up');
        const byJob = Object.fromEntries(up.map((sample) => [sample.metric.job, sample.value[1]]));
        return byJob.bot === '1' && byJob.synapse === '1' ? byJob : undefined;
      },
      30_000,
    );
    // Both forces have nobody on duty (demo staff start off duty), but nobody waits yet: no alert, even after
    // longer than its `for`.
    const offDuty = await promQuery('espace_agents_on_duty');
    expect(offDuty.map((sample) => [sample.metric.force, sample.value[1]]).sort()).toEqual([
      ['gendarmerie', '0'],
      ['police', '0'],
    ]);
    const quietUntil = Date.now() + SHORT_FOR_MS + 2_000;
    await waitUntil(
      `Prometheus to evaluate ${ALERT} more than its for (${SHORT_FOR}) after nobody waiting was seen`,
      async () => {
        const evaluated = await lastEvaluationOfAlert();
        return evaluated !== undefined && evaluated > quietUntil ? evaluated : undefined;
      },
      30_000,
    );
    expect((await promAlerts()).filter((alert) => alert.labels.alertname === ALERT)).toEqual([]);

    const guest = await registerGuest(homeserver.baseUrl);
    const roomId = await openAndJoin(guest, undefined, bot.url, homeserver.baseUrl);
    await answerTriage(guest, roomId, ['parler'], homeserver.baseUrl);
    const options = (force: Force) => ({
      baseUrl: homeserver.baseUrl,
      botToken: result.bot.accessToken,
      queueRoomId: result.forces[force].queueRoomId,
    });
    const force = await waitUntil('the conversation to be queued in a force', async () => {
      for (const candidate of ['police', 'gendarmerie'] as const)
        if ((await entryOf(roomId, candidate, options(candidate)))?.state === 'queued') return candidate;
      return undefined;
    });

    const firing = await waitUntil(
      `${ALERT} to fire for ${force} in Prometheus (/api/v1/alerts)`,
      async () => {
        const alerts = (await promAlerts()).filter((alert) => alert.labels.alertname === ALERT);
        return alerts.some((alert) => alert.state === 'firing') ? alerts : undefined;
      },
      30_000,
    );
    expect(firing).toEqual([
      expect.objectContaining({
        state: 'firing',
        labels: expect.objectContaining({ force, severity: 'critical', job: 'bot' }),
      }),
    ]);
    const waited = await promQuery(`espace_queue_oldest_wait_seconds{force="${force}"}`);
    expect(Number(waited[0]!.value[1])).toBeGreaterThan(0);
  });

  it('reports the bot not ready, with a reason code and no secret, once the homeserver stops; Prometheus sees Synapse down', async () => {
    await homeserver.stop();
    const { status, body } = await waitUntil(
      '/readyz to answer 503',
      async () => {
        const response = await fetch(`${bot.url}/readyz`);
        return response.status === 503 ? { status: response.status, body: await response.text() } : undefined;
      },
      30_000,
    );
    expect(status).toBe(503);
    const parsed = JSON.parse(body) as { ready: boolean; reasons: string[] };
    expect(parsed.ready).toBe(false);
    expect(parsed.reasons).toContain('SYNC_FAILING');
    expect(body).not.toContain(result.bot.accessToken);
    expect(body).not.toMatch(/[@!#][\w.-]+:/);
    // Liveness is unaffected: the process answers, it just cannot serve.
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    await waitUntil(
      'Prometheus to see Synapse down (up{job="synapse"} == 0)',
      async () => {
        const up = await promQuery('up{job="synapse"}');
        return up[0]?.value[1] === '0' ? true : undefined;
      },
      30_000,
    );
  });
});
