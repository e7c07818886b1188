import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { HomeserverError } from './errors.ts';

export const CONFIG_DIR = fileURLToPath(new URL('../config/', import.meta.url));

/** Optional layers merged over the template, by name (synapse/config/overrides/NAME.yaml). */
export type ConfigLayer = 'test';

export type DatabaseSettings =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string };

export interface RenderParams {
  serverName: string;
  publicBaseUrl: string;
  port: number;
  bindAddresses: string[];
  xForwarded: boolean;
  database: DatabaseSettings;
  dataDir: string;
  /** Paths as Synapse will see them (differs from dataDir inside a container). */
  paths: { pidFile: string; logConfig: string; logFile: string; mediaStore: string; signingKey: string };
  secrets: { registrationSharedSecret: string; macaroonSecretKey: string; formSecret: string };
  retention: { min: string; max: string };
  logLevel: 'INFO' | 'WARNING' | 'DEBUG';
  layers: ConfigLayer[];
  /** Synapse's Prometheus listener; absent: metrics off and no listener (dev, tests). Never a public address. */
  metrics?: { port: number; bindAddresses: string[] };
}

function databaseBlock(db: DatabaseSettings): unknown {
  if (db.kind === 'sqlite') {
    return { name: 'sqlite3', args: { database: db.path } };
  }
  let url: URL;
  try {
    url = new URL(db.url);
  } catch (cause) {
    throw new HomeserverError('CONFIG_INVALID', 'database URL: not a URL (expected postgres://user:password@host:port/db)', { cause });
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new HomeserverError('CONFIG_INVALID', `database URL: protocol must be postgres:, got ${url.protocol}`);
  }
  return {
    name: 'psycopg2',
    args: {
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: url.pathname.replace(/^\//, '') || 'synapse',
      host: url.hostname,
      port: Number(url.port || 5432),
      cp_min: 5,
      cp_max: 10,
    },
  };
}

/** Replaces every `{{ name }}` with the JSON text of its value, which is also valid YAML (no injection). */
export function fillTemplate(template: string, values: Record<string, unknown>): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (_match, name: string) => {
    if (!(name in values)) {
      throw new HomeserverError('CONFIG_INVALID', `template placeholder {{ ${name} }} has no value`);
    }
    return JSON.stringify(values[name]);
  });
}

/** Deep-merges `layer` over `base`: maps merge key by key, everything else is replaced. */
function mergeInto(base: Document, layer: Document, path: unknown[] = []): void {
  const node = path.length === 0 ? layer.contents : layer.getIn(path, true);
  if (!isMap(node)) {
    base.setIn(path, layer.getIn(path));
    return;
  }
  for (const pair of node.items) {
    const key = (pair.key as { value?: unknown })?.value ?? pair.key;
    const child = [...path, key];
    const existing = base.getIn(child, true);
    if (isMap(pair.value) && isMap(existing)) {
      mergeInto(base, layer, child);
    } else {
      base.setIn(child, layer.getIn(child));
    }
  }
}

export function renderHomeserverConfig(params: RenderParams): { homeserver: string; log: string } {
  const template = readFileSync(join(CONFIG_DIR, 'homeserver.template.yaml'), 'utf8');
  const filled = fillTemplate(template, {
    server_name: params.serverName,
    public_baseurl: params.publicBaseUrl,
    pid_file: params.paths.pidFile,
    port: params.port,
    bind_addresses: params.bindAddresses,
    x_forwarded: params.xForwarded,
    database: databaseBlock(params.database),
    log_config: params.paths.logConfig,
    media_store_path: params.paths.mediaStore,
    signing_key_path: params.paths.signingKey,
    registration_shared_secret: params.secrets.registrationSharedSecret,
    macaroon_secret_key: params.secrets.macaroonSecretKey,
    form_secret: params.secrets.formSecret,
    retention_min: params.retention.min,
    retention_max: params.retention.max,
    enable_metrics: params.metrics !== undefined,
    metrics_port: params.metrics?.port ?? 0,
    metrics_bind_addresses: params.metrics?.bindAddresses ?? [],
  });
  const doc = parseDocument(filled);
  if (doc.errors.length > 0) {
    throw new HomeserverError('CONFIG_INVALID', `rendered homeserver.yaml is invalid: ${doc.errors[0]?.message}`);
  }
  if (!params.metrics) {
    const listeners = doc.get('listeners', true);
    if (isSeq(listeners)) listeners.items = listeners.items.filter((item) => !(isMap(item) && item.get('type') === 'metrics'));
  } else if (!Number.isInteger(params.metrics.port) || params.metrics.port < 1 || params.metrics.port > 65535) {
    throw new HomeserverError('CONFIG_INVALID', `metrics port must be 1-65535, got ${params.metrics.port}`);
  }
  for (const layer of params.layers) {
    const file = join(CONFIG_DIR, 'overrides', `${layer}.yaml`);
    if (!existsSync(file)) {
      throw new HomeserverError('CONFIG_INVALID', `override layer "${layer}" not found at ${file}`);
    }
    mergeInto(doc, parseDocument(readFileSync(file, 'utf8')));
  }
  const log = fillTemplate(readFileSync(join(CONFIG_DIR, 'log.template.yaml'), 'utf8'), {
    log_file: params.paths.logFile,
    log_level: params.logLevel,
  });
  return { homeserver: doc.toString({ lineWidth: 0 }), log };
}
