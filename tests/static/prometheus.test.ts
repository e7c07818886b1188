/**
 * deploy/prometheus: the scrape configuration and alert rules, checked by promtool (Debian's `prometheus`
 * package; .ci/run installs it) and tied to the code: every metric a rule reads is one the bot exports, every
 * scrape target is a service and port of docker-compose.yml, every alert has promtool unit tests and a runbook
 * section in deploy/README.md.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Metrics } from '../../bot/src/metrics.ts';
import { Store } from '../../bot/src/state/store.ts';
import { SYNAPSE_METRICS_PORT } from '../../synapse/config/compose/render.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = join(ROOT, 'deploy', 'prometheus');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
const RULES = (parse(read('deploy/prometheus/alerts.yml')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap(
  (group) => group.rules,
);
const CONFIG = parse(read('deploy/prometheus/prometheus.yml')) as {
  rule_files: string[];
  scrape_configs: Array<{ job_name: string; metrics_path: string; static_configs: Array<{ targets: string[] }> }>;
};

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8' });
  if (result.error) {
    throw new Error(
      `promtool is needed (${result.error.message}): apt-get install prometheus (Debian's package ships promtool; .ci/run installs it)`,
    );
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('deploy/prometheus with promtool', () => {
  it('has a valid configuration that loads the alert rules', () => {
    const checked = promtool('check', 'config', 'prometheus.yml');
    expect(checked.status, checked.output).toBe(0);
    expect(checked.output).toMatch(/SUCCESS: 1 rule files found/);
  });

  it("has a valid federated configuration (docker-compose.federated.yml's) that loads the same rules", () => {
    const checked = promtool('check', 'config', 'prometheus.federated.yml');
    expect(checked.status, checked.output).toBe(0);
    expect(checked.output).toMatch(/SUCCESS: 1 rule files found/);
  });

  it('has valid alert rules', () => {
    const checked = promtool('check', 'rules', 'alerts.yml');
    expect(checked.status, checked.output).toBe(0);
    expect(checked.output).toContain(`SUCCESS: ${RULES.length} rules found`);
  });

  it('passes the rule unit tests (alerts.test.yml)', () => {
    const tested = promtool('test', 'rules', 'alerts.test.yml');
    expect(tested.status, tested.output).toBe(0);
    expect(tested.output).toContain('SUCCESS');
  });
});

describe('the alert rules, tied to the code and the runbook', () => {
  it('read only metrics the bot exports (or Prometheus own `up`)', async () => {
    const forces = { spaceId: '!s:x', queueRoomId: '!q:x', supervisorsRoomId: '!r:x', auditRoomId: '!a:x' };
    const metrics = new Metrics(new Store({ police: forces, gendarmerie: { ...forces } }));
    metrics.watchSync(() => ({ lastSuccessAt: Date.now(), consecutiveFailures: 0 }));
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name));
    const used = new Set(
      RULES.flatMap((rule) => [...rule.expr.matchAll(/\b(espace_[a-z_]+)\b/g)].map((match) => match[1]!)),
    );
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) expect(exported, `alerts.yml reads ${name}`).toContain(name);
  });

  it('give every alert a severity, a French summary and a runbook section that exists', () => {
    const readme = read('deploy/README.md');
    const anchors = new Set(
      [...readme.matchAll(/^#{1,6} (.+)$/gm)].map((match) =>
        match[1]!
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N} _-]/gu, '')
          .replace(/ /g, '-'),
      ),
    );
    expect(RULES.length).toBeGreaterThanOrEqual(7);
    for (const rule of RULES) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      expect(rule.annotations.runbook_url, rule.alert).toBe(`deploy/README.md#${rule.alert.toLowerCase()}`);
      expect(anchors, `deploy/README.md has a heading for ${rule.alert}`).toContain(rule.alert.toLowerCase());
    }
    expect(anchors).toContain('runbook');
  });

  it('are each exercised by the promtool unit tests', () => {
    const tests = parse(read('deploy/prometheus/alerts.test.yml')) as {
      tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    };
    const firing = new Set(
      tests.tests.flatMap((test) =>
        test.alert_rule_test.filter((check) => check.exp_alerts.length > 0).map((check) => check.alertname),
      ),
    );
    for (const rule of RULES) expect(firing, `alerts.test.yml shows ${rule.alert} firing`).toContain(rule.alert);
  });

  it('cover what the duty officer must know at 3 a.m.', () => {
    const names = RULES.map((rule) => rule.alert);
    for (const alert of [
      'EspaceConversationWaiting',
      'EspaceQueueWithoutAgent',
      'EspaceNoAgentOnDuty',
      'EspaceBotNotSyncing',
      'EspaceAuditBacklog',
      'EspaceRetentionFailing',
      'EspaceSynapseDown',
      'EspaceBotDown',
    ]) {
      expect(names).toContain(alert);
    }
  });
});

describe('the scrape configuration, tied to docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as {
    services: Record<string, { environment?: Record<string, string>; volumes?: string[] }>;
  };

  it('scrapes the bot on the port it listens on, at the path it serves', () => {
    const bot = CONFIG.scrape_configs.find((job) => job.job_name === 'bot')!;
    expect(bot.metrics_path).toBe('/metrics');
    expect(bot.static_configs[0]!.targets).toEqual([`bot:${compose.services.bot!.environment!.ESPACE_BOT_PORT}`]);
    expect(read('bot/src/http/app.ts')).toContain("app.get('/metrics'");
  });

  it("scrapes Synapse's metrics listener as the compose render configures it", () => {
    const synapse = CONFIG.scrape_configs.find((job) => job.job_name === 'synapse')!;
    expect(synapse.metrics_path).toBe('/_synapse/metrics');
    expect(synapse.static_configs[0]!.targets).toEqual([`synapse:${SYNAPSE_METRICS_PORT}`]);
  });

  it('has a federated configuration that is this one but for the synapse job, one target per server', () => {
    const federated = parse(read('deploy/prometheus/prometheus.federated.yml')) as typeof CONFIG;
    const without = (config: typeof CONFIG) => ({
      ...config,
      scrape_configs: config.scrape_configs.filter((job) => job.job_name !== 'synapse'),
    });
    expect(without(federated)).toEqual(without(CONFIG));
    const synapse = federated.scrape_configs.find((job) => job.job_name === 'synapse')!;
    const single = CONFIG.scrape_configs.find((job) => job.job_name === 'synapse')!;
    expect(synapse.metrics_path).toBe(single.metrics_path);
    const groups = synapse.static_configs as Array<{ targets: string[]; labels?: { server?: string } }>;
    expect(groups.map((group) => [group.targets, group.labels?.server])).toEqual([
      [single.static_configs[0]!.targets, 'public'],
      [[`synapse-police:${SYNAPSE_METRICS_PORT}`], 'police'],
      [[`synapse-gendarmerie:${SYNAPSE_METRICS_PORT}`], 'gendarmerie'],
    ]);
  });

  it('is the folder the prometheus service mounts', () => {
    expect(compose.services.prometheus?.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
  });

  it('sends its alerts to the alertmanager service, on the port it listens on', () => {
    const alerting = (
      parse(read('deploy/prometheus/prometheus.yml')) as {
        alerting?: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
      }
    ).alerting;
    expect(
      alerting?.alertmanagers.flatMap((manager) => manager.static_configs.flatMap((config) => config.targets)),
    ).toEqual(['alertmanager:9093']);
    const alertmanager = compose.services.alertmanager as
      { command?: string[]; healthcheck?: { test: string[] } } | undefined;
    expect(alertmanager, 'docker-compose.yml has an alertmanager service').toBeDefined();
    // Alertmanager's default listen address is :9093; the service does not move it.
    expect((alertmanager!.command ?? []).some((arg) => arg.startsWith('--web.listen-address'))).toBe(false);
    expect(alertmanager!.healthcheck!.test.join(' ')).toContain('127.0.0.1:9093/-/ready');
  });
});

describe('deploy/alertmanager, the receivers an operator fills in', () => {
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, { volumes?: string[] }> };
  const EXAMPLE = 'deploy/alertmanager/alertmanager.example.yml';

  function amtool(...args: string[]): { status: number | null; stdout: string; output: string } {
    const result = spawnSync('amtool', args, { cwd: ROOT, encoding: 'utf8' });
    if (result.error)
      throw new Error(
        `amtool is needed (${result.error.message}): apt-get install prometheus-alertmanager (.ci/run installs it)`,
      );
    return { status: result.status, stdout: result.stdout, output: `${result.stdout}${result.stderr}` };
  }

  it('the example is a valid Alertmanager configuration', () => {
    const checked = amtool('check-config', EXAMPLE);
    expect(checked.status, checked.output).toBe(0);
  });

  it('routes every alert, critical ones repeated every 15 minutes, to one receiver with a webhook', () => {
    const config = parse(read(EXAMPLE)) as {
      route: {
        receiver: string;
        group_by: string[];
        routes: Array<{ matchers: string[]; receiver: string; repeat_interval: string }>;
      };
      receivers: Array<{ name: string; webhook_configs?: Array<{ url: string; send_resolved: boolean }> }>;
    };
    // `server` is the label prometheus.federated.yml gives each Synapse: one notification per server that is down.
    expect(config.route.group_by).toEqual(['alertname', 'force', 'server']);
    expect(read('deploy/prometheus/prometheus.federated.yml')).toMatch(/^\s+server: police$/m);
    expect(config.receivers.map((receiver) => receiver.name)).toEqual([config.route.receiver]);
    expect(config.route.routes).toEqual([
      expect.objectContaining({
        matchers: ['severity="critical"'],
        receiver: config.route.receiver,
        repeat_interval: '15m',
      }),
    ]);
    expect(config.receivers[0]!.webhook_configs?.[0]).toMatchObject({ send_resolved: true });
    // Every severity the rules use is routed (the default route takes what no sub-route matches).
    expect(new Set(RULES.map((rule) => rule.labels.severity))).toEqual(new Set(['critical', 'warning']));
  });

  it('amtool routes each alert of alerts.yml to the receiver', () => {
    for (const rule of RULES) {
      const routed = amtool(
        'config',
        'routes',
        'test',
        `--config.file=${EXAMPLE}`,
        `alertname=${rule.alert}`,
        `severity=${rule.labels.severity}`,
        'force=police',
      );
      expect(routed.status, routed.output).toBe(0);
      expect(routed.stdout.trim(), rule.alert).toBe('astreinte');
    }
  });

  it("is what the alertmanager service mounts, as the operator's own git-ignored file", () => {
    expect(compose.services.alertmanager?.volumes).toContain('./deploy/alertmanager:/etc/alertmanager:ro');
    expect((compose.services.alertmanager as { command?: string[] }).command).toContain(
      '--config.file=/etc/alertmanager/alertmanager.yml',
    );
    const ignored = spawnSync('git', ['check-ignore', '-q', 'deploy/alertmanager/alertmanager.yml'], { cwd: ROOT });
    expect(ignored.status, 'deploy/alertmanager/alertmanager.yml is git-ignored').toBe(0);
  });
});

describe('the native stack’s Prometheus configuration (scripts/monitoring.ts)', () => {
  const text = read('deploy/prometheus/prometheus.yml');
  const targets = { bot: '127.0.0.1:18090', synapse: '127.0.0.1:19000', alertmanager: '127.0.0.1:19093' };

  it('is the compose file with its three targets moved to loopback, and nothing else changed', async () => {
    const { renderPrometheusConfig } = await import('../../scripts/monitoring.ts');
    const rendered = renderPrometheusConfig(text, targets);
    const before = text.split('\n');
    const after = rendered.split('\n');
    expect(after).toHaveLength(before.length);
    const changed = before.map((line, index) => [line, after[index]!] as const).filter(([a, b]) => a !== b);
    expect(changed.map(([, line]) => line.trim())).toEqual([
      '- targets: ["127.0.0.1:18090"]',
      '- targets: ["127.0.0.1:19000"]',
      '- targets: ["127.0.0.1:19093"]',
    ]);
  });

  it('refuses a configuration whose compose targets it cannot find', async () => {
    const { renderPrometheusConfig } = await import('../../scripts/monitoring.ts');
    expect(() => renderPrometheusConfig(text.replace('"bot:8090"', '"bot:9999"'), targets)).toThrow(
      /"bot:8090" once, found it 0 times/,
    );
  });
});
