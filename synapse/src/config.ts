import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { HomeserverError } from './errors.ts';
import { blocklistWithout, SYNAPSE_DEFAULT_IP_BLOCKLIST } from './ip-ranges.ts';

export const CONFIG_DIR = fileURLToPath(new URL('../config/', import.meta.url));

/** Optional layers merged over the template, by name (synapse/config/overrides/NAME.yaml). */
export type ConfigLayer = 'test';

export type DatabaseSettings = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

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
  /** The federated topology only (docs/architecture.md, "Federated topology"); absent: federation off. */
  federation?: FederationSettings;
}

/** A closed federation: the deployment's servers only, over TLS with the deployment's own CA. */
export interface FederationSettings {
  port: number;
  bindAddresses: string[];
  /** This server's certificate (signed by the deployment CA) and its key, as Synapse will see them. */
  tlsCertificate: string;
  tlsPrivateKey: string;
  /** The deployment CA's certificate: the only authority trusted for outbound federation. */
  caCertificate: string;
  /** Every server name of the deployment, this one included: no other may federate with it. */
  domainWhitelist: string[];
  /** Addresses the deployment's servers listen on, exempted from Synapse's private-range blacklist (CIDR). */
  ipRangeWhitelist: string[];
  /** Guests belong on the public server only: a force's server has no anonymous accounts at all. */
  allowGuests: boolean;
}

/** Adds the TLS federation listener and the closed-federation settings over the rendered template. */
function applyFederation(doc: Document, federation: FederationSettings, serverName: string): void {
  if (!Number.isInteger(federation.port) || federation.port < 1 || federation.port > 65535) {
    throw new HomeserverError('CONFIG_INVALID', `federation port must be 1-65535, got ${federation.port}`);
  }
  if (!federation.domainWhitelist.includes(serverName)) {
    throw new HomeserverError('CONFIG_INVALID', `federation domain whitelist must list this server (${serverName})`);
  }
  if (federation.domainWhitelist.length < 2) {
    throw new HomeserverError(
      'CONFIG_INVALID',
      'federation domain whitelist must list at least one other server of the deployment',
    );
  }
  const listeners = doc.get('listeners', true);
  if (!isSeq(listeners)) throw new HomeserverError('CONFIG_INVALID', 'template has no listeners list');
  listeners.items.push(
    doc.createNode({
      port: federation.port,
      bind_addresses: federation.bindAddresses,
      type: 'http',
      tls: true,
      x_forwarded: false,
      resources: [{ names: ['federation', 'keys'], compress: false }],
    }),
  );
  doc.set('tls_certificate_path', federation.tlsCertificate);
  doc.set('tls_private_key_path', federation.tlsPrivateKey);
  // The main process sends federation traffic again (Synapse's default), which the template turns off.
  doc.delete('federation_sender_instances');
  doc.set('federation_domain_whitelist', doc.createNode(federation.domainWhitelist));
  doc.set('federation_verify_certificates', true);
  doc.set('federation_custom_ca_list', doc.createNode([federation.caCertificate]));
  doc.set('ip_range_whitelist', doc.createNode(federation.ipRangeWhitelist));
  // IP-literal server names are checked against the blocklist alone (src/ip-ranges.ts): carve the peers out of it.
  const peers = federation.ipRangeWhitelist.map((range) => range.replace(/\/32$/, ''));
  doc.set('ip_range_blacklist', doc.createNode(blocklistWithout(SYNAPSE_DEFAULT_IP_BLOCKLIST, peers)));
  doc.set('allow_guest_access', federation.allowGuests);
  // Synapse waits 10 minutes before retrying a server it found down; here there are three servers and a young
  // person waiting for the answer of a force whose server just restarted: retry within seconds, then back off.
  doc.set(
    'federation',
    doc.createNode({
      destination_min_retry_interval: '10s',
      destination_retry_multiplier: 2,
      destination_max_retry_interval: '5m',
    }),
  );
  // Keys come from each server itself, over the deployment's TLS: there is no notary to trust.
  doc.set('trusted_key_servers', doc.createNode([]));
}

function databaseBlock(db: DatabaseSettings): unknown {
  if (db.kind === 'sqlite') {
    return { name: 'sqlite3', args: { database: db.path } };
  }
  let url: URL;
  try {
    url = new URL(db.url);
  } catch (cause) {
    throw new HomeserverError(
      'CONFIG_INVALID',
      'database URL: not a URL (expected postgres://user:password@host:port/db)',
      { cause },
    );
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
    if (isSeq(listeners))
      listeners.items = listeners.items.filter((item) => !(isMap(item) && item.get('type') === 'metrics'));
  } else if (!Number.isInteger(params.metrics.port) || params.metrics.port < 1 || params.metrics.port > 65535) {
    throw new HomeserverError('CONFIG_INVALID', `metrics port must be 1-65535, got ${params.metrics.port}`);
  }
  if (params.federation) applyFederation(doc, params.federation, params.serverName);
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
