/**
 * The monitoring of the production-shaped stack (scripts/production.ts), from the files compose mounts:
 * deploy/prometheus/prometheus.yml with only its targets moved from compose's service names to this machine's
 * loopback addresses (Prometheus reads no environment variable in its configuration, so the one difference is
 * rendered, as synapse/config/compose/render.ts renders Synapse's), alerts.yml as it is, and Alertmanager with
 * the operator's receivers (ESPACE_ALERTMANAGER_CONFIG) or deploy/alertmanager/alertmanager.example.yml.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Compose's addresses in deploy/prometheus/prometheus.yml, each replaced by one of this machine. */
export const COMPOSE_TARGETS = { bot: 'bot:8090', synapse: 'synapse:9000', alertmanager: 'alertmanager:9093' } as const;

export type Targets = Record<keyof typeof COMPOSE_TARGETS, string>;

/** prometheus.yml with compose's targets replaced; fails when one is not found exactly once (the file changed). */
export function renderPrometheusConfig(text: string, targets: Targets): string {
  let out = text;
  for (const [name, compose] of Object.entries(COMPOSE_TARGETS) as Array<[keyof Targets, string]>) {
    const quoted = `"${compose}"`;
    const count = out.split(quoted).length - 1;
    if (count !== 1)
      throw new Error(`deploy/prometheus/prometheus.yml: expected the target ${quoted} once, found it ${count} times`);
    out = out.replace(quoted, JSON.stringify(targets[name]));
  }
  return out;
}

/** Writes Prometheus's configuration and rules into `dir`; returns the configuration's path. */
export function writePrometheusConfig(dir: string, targets: Targets): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const source = join(root, 'deploy', 'prometheus');
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, renderPrometheusConfig(readFileSync(join(source, 'prometheus.yml'), 'utf8'), targets), {
    mode: 0o600,
  });
  copyFileSync(join(source, 'alerts.yml'), join(dir, 'alerts.yml'));
  return config;
}

/** The Alertmanager configuration to run: the operator's, else the example (whose receiver reaches nobody). */
export function alertmanagerConfig(env: NodeJS.ProcessEnv): { path: string; example: boolean } {
  const given = env.ESPACE_ALERTMANAGER_CONFIG;
  if (given) return { path: resolve(given), example: false };
  return { path: join(root, 'deploy', 'alertmanager', 'alertmanager.example.yml'), example: true };
}
