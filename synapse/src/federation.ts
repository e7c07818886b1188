/**
 * The federated topology (docs/architecture.md, "Federated topology"): a public homeserver for the young people
 * and one homeserver per force, natively on loopback, in a federation closed to everyone else. Each server has
 * its own loopback address and an IP-literal server name with its federation port (`127.0.0.2:8448`): names
 * under `.localhost` do not resolve here, IP literals are valid Matrix server names and need no DNS or
 * well-known lookup. Rendered by the same code as the single server, plus the federation settings.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDeploymentCa, ensureServerCertificate, type DeploymentCa } from './ca.ts';
import type { ConfigLayer } from './config.ts';
import { HomeserverError } from './errors.ts';
import { logger } from './log.ts';
import { startNativeSynapse } from './native.ts';
import { freePort } from './net.ts';
import { defaultTreeDir, ensureSynapseTree, type SynapseTree } from './tree.ts';
import type { Homeserver } from './types.ts';

const log = logger.child({ module: 'federation' });

export const FEDERATED_ROLES = ['public', 'police', 'gendarmerie'] as const;
export type FederatedRole = (typeof FEDERATED_ROLES)[number];

/** Loopback addresses of the three servers unless told otherwise. */
export const DEFAULT_FEDERATED_HOSTS: Record<FederatedRole, string> = {
  public: '127.0.0.2',
  police: '127.0.0.3',
  gendarmerie: '127.0.0.4',
};

/** Where one server listens; its server name is `host:federationPort`. */
export interface FederatedAddress {
  host: string;
  clientPort: number;
  federationPort: number;
}

/** One server of a closed federation, which can be stopped and started again (same name, same data). */
export interface FederatedServer {
  role: string;
  serverName: string;
  /** Client-server API, plain HTTP on the server's loopback address. */
  baseUrl: string;
  address: FederatedAddress;
  dataDir: string;
  registrationSharedSecret: string;
  version: string;
  logFile: string;
  /** The running Synapse; undefined while stopped. */
  current(): Homeserver | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface FederatedTopology {
  dataDir: string;
  ca: DeploymentCa;
  servers: Record<FederatedRole, FederatedServer>;
  /** Every server name of the deployment: what each server's federation_domain_whitelist lists. */
  serverNames: string[];
  stop(): Promise<void>;
}

export interface FederatedTopologyOptions {
  /** Holds `ca/`, `topology.json` and one folder per server. Reused on the next start: names never change. */
  dataDir: string;
  layers?: ConfigLayer[];
  retention?: { min: string; max: string };
  treeDir?: string;
  hosts?: Partial<Record<FederatedRole, string>>;
  /** Federation port of every server (8448 by default; 0 picks a free one per server, as tests do). */
  federationPort?: number;
  /** Client API port of every server (8008 by default, each on its own address; 0 picks a free one). */
  clientPort?: number;
  healthTimeoutMs?: number;
}

export interface FederatedServerOptions {
  role: string;
  dataDir: string;
  tree: SynapseTree;
  ca: DeploymentCa;
  address: FederatedAddress;
  /** Every server name this server federates with, its own included. */
  domainWhitelist: string[];
  /** Addresses of those servers, exempted from Synapse's blacklist of private and loopback ranges. */
  peerHosts: string[];
  allowGuests: boolean;
  layers: ConfigLayer[];
  retention: { min: string; max: string };
  healthTimeoutMs?: number;
}

export function serverNameOf(address: FederatedAddress): string {
  return `${address.host}:${address.federationPort}`;
}

/**
 * Starts one federating server (the topology's three, or the outsider a test uses to prove the federation is
 * closed). Its certificate is signed by `ca`.
 */
export async function startFederatedServer(options: FederatedServerOptions): Promise<FederatedServer> {
  const { address } = options;
  const serverName = serverNameOf(address);
  const synapseDir = join(options.dataDir, 'synapse');
  const tls = ensureServerCertificate(options.ca, join(options.dataDir, 'tls'), address.host);
  const federation = {
    port: address.federationPort,
    bindAddresses: [address.host],
    tlsCertificate: tls.certificate,
    tlsPrivateKey: tls.key,
    caCertificate: options.ca.certificate,
    domainWhitelist: options.domainWhitelist,
    ipRangeWhitelist: [...new Set(options.peerHosts)].map((host) => `${host}/32`),
    allowGuests: options.allowGuests,
  };
  let running: Homeserver | undefined;
  let starting: Promise<void> | undefined;
  const start = async (): Promise<void> => {
    if (running) return;
    starting ??= startNativeSynapse({
      tree: options.tree,
      dataDir: synapseDir,
      port: address.clientPort,
      host: address.host,
      serverName,
      layers: options.layers,
      retention: options.retention,
      federation,
      ...(options.healthTimeoutMs ? { healthTimeoutMs: options.healthTimeoutMs } : {}),
    }).then(
      (homeserver) => {
        running = homeserver;
        starting = undefined;
      },
      (error: unknown) => {
        starting = undefined;
        throw error;
      },
    );
    return starting;
  };
  await start();
  const first = running as Homeserver | undefined;
  if (!first?.registrationSharedSecret)
    throw new HomeserverError('START_FAILED', `${serverName}: no registration secret`);
  log.info({ role: options.role, serverName }, 'federating Synapse is healthy');
  return {
    role: options.role,
    serverName,
    baseUrl: first.baseUrl,
    address,
    dataDir: synapseDir,
    registrationSharedSecret: first.registrationSharedSecret,
    version: first.version,
    logFile: first.logFile ?? join(synapseDir, 'homeserver.log'),
    current: () => running,
    start,
    async stop() {
      const stopping = running;
      running = undefined;
      await stopping?.stop();
    },
  };
}

/** Ports are chosen once per deployment and kept: a Synapse's server name (which holds the port) never changes. */
async function addresses(options: FederatedTopologyOptions): Promise<Record<FederatedRole, FederatedAddress>> {
  const file = join(options.dataDir, 'topology.json');
  if (existsSync(file)) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<FederatedRole, FederatedAddress>;
    } catch (cause) {
      throw new HomeserverError(
        'CONFIG_INVALID',
        `${file} is not valid JSON; it names the servers, restore it or start afresh`,
        { cause },
      );
    }
  }
  const chosen = {} as Record<FederatedRole, FederatedAddress>;
  for (const role of FEDERATED_ROLES) {
    const host = options.hosts?.[role] ?? DEFAULT_FEDERATED_HOSTS[role];
    const pick = async (wanted: number | undefined, fallback: number): Promise<number> =>
      wanted === 0 ? freePort(host) : (wanted ?? fallback);
    chosen[role] = {
      host,
      clientPort: await pick(options.clientPort, 8008),
      federationPort: await pick(options.federationPort, 8448),
    };
  }
  writeFileSync(file, JSON.stringify(chosen, null, 2) + '\n', { mode: 0o600 });
  return chosen;
}

/** Starts the public, police and gendarmerie homeservers, each whitelisting exactly the three. */
export async function startFederatedTopology(options: FederatedTopologyOptions): Promise<FederatedTopology> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const tree = await ensureSynapseTree(options.treeDir ?? defaultTreeDir());
  const ca = ensureDeploymentCa(join(options.dataDir, 'ca'));
  const chosen = await addresses(options);
  const serverNames = FEDERATED_ROLES.map((role) => serverNameOf(chosen[role]));
  const peerHosts = FEDERATED_ROLES.map((role) => chosen[role].host);
  const started: FederatedServer[] = [];
  try {
    // One after the other: the machine is small, and a failure names its server.
    for (const role of FEDERATED_ROLES) {
      started.push(
        await startFederatedServer({
          role,
          dataDir: join(options.dataDir, role),
          tree,
          ca,
          address: chosen[role],
          domainWhitelist: serverNames,
          peerHosts,
          allowGuests: role === 'public',
          layers: options.layers ?? [],
          retention: options.retention ?? { min: '1d', max: '365d' },
          ...(options.healthTimeoutMs ? { healthTimeoutMs: options.healthTimeoutMs } : {}),
        }),
      );
    }
  } catch (error) {
    await Promise.all(started.map((server) => server.stop()));
    throw error;
  }
  const [publicServer, police, gendarmerie] = started as [FederatedServer, FederatedServer, FederatedServer];
  return {
    dataDir: options.dataDir,
    ca,
    servers: { public: publicServer, police, gendarmerie },
    serverNames,
    async stop() {
      await Promise.all(started.map((server) => server.stop()));
    },
  };
}
