/**
 * The scaled-out shape of Synapse (docker-compose.yml, profile `workers`): the main process, Redis, and generic
 * workers that take the load a busy service puts on one Python process — `/sync` (every young person's phone and
 * every agent's client long-polls it), the client API's reads and writes, and the persistence of events.
 *
 * One definition, three renderings, so they cannot drift apart:
 *  - the shared part of homeserver.yaml (replication listener, Redis, instance map, stream writers), merged by
 *    synapse/config/compose/render.ts into the file renderHomeserverConfig writes;
 *  - each worker's own file (worker_app, worker_name, listeners, its own log file);
 *  - the proxy's path routing to the workers (deploy/proxy/routes/workers/synapse-workers.caddy), imported by
 *    the Caddyfile inside its `/_matrix/*` handler, before the catch-all to the main process.
 * tests/static/workers.test.ts checks that every endpoint Synapse's worker documentation assigns to the worker
 * kinds run here is routed to a worker that exists, and that the committed routes are this rendering.
 *
 * Federation and the admin API are left out on purpose: federation is off (the proxy answers 404 to
 * /_matrix/federation and /_matrix/key), and the admin API is never routed by the proxy (the bot reaches the
 * main process over the internal network). SSO is not configured.
 *
 * Debian's Synapse lacks Synapse's Redis client module (txredisapi), so workers cannot run natively on our
 * machines: this shape runs with the official image only (docs/environment.md).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument, stringify } from 'yaml';
import { HomeserverError } from './errors.ts';

/** A group of endpoints as Synapse's documentation lists them for `synapse.app.generic_worker`. */
export interface RouteGroup {
  /** What the documentation calls the group. */
  title: string;
  /** Only these methods may go to a worker (the rest stays on the main process); absent: every method. */
  methods?: readonly string[];
  /** Regular expressions on the request path, as the documentation writes them (RE2 and JavaScript alike). */
  patterns: readonly string[];
}

const V = '(api/v1|r0|v3|unstable)';
const V3 = '(r0|v3|unstable)';

/** The documented client-side endpoints of a generic worker, by group. */
export const ROUTE_GROUPS = {
  sync: {
    title: 'Sync requests',
    patterns: [
      '^/_matrix/client/(r0|v3)/sync$',
      `^/_matrix/client/(api/v1|r0|v3)/events$`,
      '^/_matrix/client/(api/v1|r0|v3)/initialSync$',
      '^/_matrix/client/(api/v1|r0|v3)/rooms/[^/]+/initialSync$',
    ],
  },
  client: {
    title: 'Client API requests',
    patterns: [
      `^/_matrix/client/${V}/createRoom$`,
      `^/_matrix/client/${V}/publicRooms$`,
      `^/_matrix/client/${V}/rooms/.*/joined_members$`,
      `^/_matrix/client/${V}/rooms/.*/context/.*$`,
      `^/_matrix/client/${V}/rooms/.*/members$`,
      `^/_matrix/client/${V}/rooms/.*/state$`,
      '^/_matrix/client/v1/rooms/.*/hierarchy$',
      '^/_matrix/client/(v1|unstable)/rooms/.*/relations/',
      '^/_matrix/client/v1/rooms/.*/threads$',
      '^/_matrix/client/unstable/im.nheko.summary/summary/.*$',
      '^/_matrix/client/v1/room_summary/.*$',
      `^/_matrix/client/${V3}/account/3pid$`,
      `^/_matrix/client/${V3}/account/whoami$`,
      `^/_matrix/client/${V3}/account/deactivate$`,
      '^/_matrix/client/(r0|v3)/delete_devices$',
      `^/_matrix/client/${V}/devices(/|$)`,
      '^/_matrix/client/versions$',
      `^/_matrix/client/${V}/voip/turnServer$`,
      `^/_matrix/client/${V}/rooms/.*/event/`,
      `^/_matrix/client/${V}/joined_rooms$`,
      '^/_matrix/client/v1/rooms/.*/timestamp_to_event$',
      '^/_matrix/client/(api/v1|r0|v3|unstable/.*)/rooms/.*/aliases',
      `^/_matrix/client/${V}/search$`,
      `^/_matrix/client/${V3}/user/.*/filter(/|$)`,
      `^/_matrix/client/${V}/directory/room/.*$`,
      `^/_matrix/client/${V3}/capabilities$`,
      `^/_matrix/client/${V3}/notifications$`,
    ],
  },
  encryption: {
    title: 'Encryption requests',
    patterns: [
      `^/_matrix/client/${V3}/keys/query$`,
      `^/_matrix/client/${V3}/keys/changes$`,
      `^/_matrix/client/${V3}/keys/claim$`,
      `^/_matrix/client/${V3}/room_keys/`,
      `^/_matrix/client/${V3}/keys/upload`,
      `^/_matrix/client/${V}/keys/device_signing/upload$`,
      `^/_matrix/client/${V}/keys/signatures/upload$`,
    ],
  },
  registration: {
    title: 'Registration/login requests',
    patterns: [
      `^/_matrix/client/${V}/login$`,
      `^/_matrix/client/${V3}/register$`,
      `^/_matrix/client/${V3}/register/available$`,
      '^/_matrix/client/v1/register/m.login.registration_token/validity$',
      `^/_matrix/client/${V3}/password_policy$`,
    ],
  },
  sending: {
    title: 'Event sending requests',
    patterns: [
      `^/_matrix/client/${V}/rooms/.*/redact`,
      `^/_matrix/client/${V}/rooms/.*/send`,
      `^/_matrix/client/${V}/rooms/.*/state/`,
      `^/_matrix/client/${V}/rooms/.*/(join|invite|leave|ban|unban|kick)$`,
      `^/_matrix/client/${V}/join/`,
      `^/_matrix/client/${V}/knock/`,
      `^/_matrix/client/${V}/profile/`,
    ],
  },
  userDirectory: {
    title: 'User directory search requests',
    patterns: [`^/_matrix/client/${V3}/user_directory/search$`],
  },
  delayedEvents: {
    title: 'Unstable MSC4140 support',
    patterns: ['^/_matrix/client/unstable/org.matrix.msc4140/delayed_events(/.*/restart)?$'],
  },
  pushRulesRead: {
    title: 'Push rules requests (GET)',
    methods: ['GET'],
    patterns: [`^/_matrix/client/${V}/pushrules/`],
  },
  accountDataRead: {
    title: 'Account data requests (GET)',
    methods: ['GET'],
    patterns: [`^/_matrix/client/${V3}/.*/tags`, `^/_matrix/client/${V3}/.*/account_data`],
  },
  presenceRead: { title: 'Presence requests (GET)', methods: ['GET'], patterns: [`^/_matrix/client/${V}/presence/`] },
  // Pagination: every request for one room must reach the same worker; one worker takes them all.
  pagination: { title: 'Pagination requests', patterns: [`^/_matrix/client/${V}/rooms/.*/messages$`] },
} as const satisfies Record<string, RouteGroup>;

export type RouteGroupId = keyof typeof ROUTE_GROUPS;

export interface WorkerSpec {
  /** worker_name, the compose service and the host name the proxy and the instance map use. */
  name: string;
  /** Its client HTTP listener (the proxy's upstream), or for a stream writer its replication listener. */
  port: number;
  routes: readonly RouteGroupId[];
  /** Streams this worker writes instead of the main process. */
  streams?: readonly 'events'[];
}

/** The workers of the `workers` profile. Every route group of a generic worker is taken by one of them. */
export const WORKERS: readonly WorkerSpec[] = [
  // Every phone and every agent client long-polls /sync: the heaviest reader, on its own.
  { name: 'synapse-sync', port: 8083, routes: ['sync'] },
  // The rest of the client API: registration (a young person's first request), room creation, sending, reads.
  {
    name: 'synapse-client',
    port: 8083,
    routes: [
      'client',
      'encryption',
      'registration',
      'sending',
      'userDirectory',
      'delayedEvents',
      'pushRulesRead',
      'accountDataRead',
      'presenceRead',
      'pagination',
    ],
  },
  // Persists every event (sharded by room if more are added; all workers must then restart together).
  // No client endpoint: only the main process and the other workers reach it, on the replication network.
  { name: 'synapse-events', port: 9093, routes: [], streams: ['events'] },
];

/** The main process's replication listener (internal network only, never routed by the proxy). */
export const MAIN_REPLICATION_PORT = 9093;
export const REDIS = { host: 'redis', port: 6379 } as const;

export interface WorkerRenderParams {
  /** Host name of the main process as the workers reach it. */
  mainHost: string;
  /** Where Synapse sees its files (/data in compose). */
  synapseDir: string;
  replicationSecret: string;
  workers?: readonly WorkerSpec[];
}

/** The worker replication secret, created once beside the other secrets and kept (mode 0600 by the caller). */
export function loadOrCreateReplicationSecret(file: string): { secret: string; created: boolean } {
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length < 32)
      throw new HomeserverError(
        'CONFIG_INVALID',
        `${file} must hold the worker replication secret (32 characters or more); delete it to create a new one`,
      );
    return { secret, created: false };
  }
  return { secret: randomBytes(32).toString('base64url'), created: true };
}

/** Merges the shared worker settings into a rendered homeserver.yaml (the main process's file, read by all). */
export function addWorkersToHomeserver(homeserver: string, params: WorkerRenderParams): string {
  const workers = params.workers ?? WORKERS;
  const doc = parseDocument(homeserver);
  const listeners = doc.get('listeners', true);
  if (!isSeq(listeners)) throw new HomeserverError('CONFIG_INVALID', 'homeserver.yaml has no listeners list');
  listeners.items.push(
    doc.createNode({
      port: MAIN_REPLICATION_PORT,
      bind_addresses: ['0.0.0.0'],
      type: 'http',
      resources: [{ names: ['replication'] }],
    }),
  );
  doc.set('worker_replication_secret', params.replicationSecret);
  doc.set('redis', { enabled: true, host: REDIS.host, port: REDIS.port });
  const instanceMap: Record<string, { host: string; port: number }> = {
    main: { host: params.mainHost, port: MAIN_REPLICATION_PORT },
  };
  for (const worker of workers)
    if (worker.streams?.length) instanceMap[worker.name] = { host: worker.name, port: worker.port };
  doc.set('instance_map', instanceMap);
  const writers = workers.filter((worker) => worker.streams?.includes('events')).map((worker) => worker.name);
  if (writers.length > 0) doc.set('stream_writers', { events: writers });
  return doc.toString({ lineWidth: 0 });
}

/** One worker's own configuration file, loaded after homeserver.yaml (`-c homeserver.yaml -c workers/NAME.yaml`). */
export function renderWorkerConfig(worker: WorkerSpec, params: WorkerRenderParams): string {
  if (worker.routes.length > 0 && worker.streams?.length)
    throw new HomeserverError('CONFIG_INVALID', `${worker.name}: a stream writer here serves no client endpoint`);
  const resources = worker.streams?.length ? [{ names: ['replication'] }] : [{ names: ['client'] }];
  return stringify(
    {
      worker_app: 'synapse.app.generic_worker',
      worker_name: worker.name,
      worker_listeners: [
        { type: 'http', port: worker.port, bind_addresses: ['0.0.0.0'], x_forwarded: true, resources },
      ],
      worker_log_config: `${params.synapseDir}/workers/${worker.name}.log.yaml`,
    },
    { lineWidth: 0 },
  );
}

/** A worker's log configuration: the main process's, writing to its own file (two processes never share one). */
export function renderWorkerLog(mainLog: string, worker: WorkerSpec, synapseDir: string): string {
  const doc = parseDocument(mainLog);
  const handlers = doc.get('handlers', true);
  if (isMap(handlers)) {
    for (const pair of handlers.items) {
      const handler = pair.value;
      if (isMap(handler) && handler.has('filename')) handler.set('filename', `${synapseDir}/${worker.name}.log`);
    }
  }
  return doc.toString({ lineWidth: 0 });
}

/**
 * The proxy's routes to the workers: a Caddyfile fragment imported inside the `/_matrix/*` handler. Caddy tries
 * `reverse_proxy` lines with a named matcher in the order written, and the one without a matcher (the main
 * process) last; the first that matches answers.
 */
export function renderCaddyRoutes(workers: readonly WorkerSpec[] = WORKERS): string {
  const lines = [
    '# Generated by synapse/src/workers.ts (renderCaddyRoutes): do not edit, run `node synapse/config/compose/render-routes.ts`.',
    '# Imported by deploy/proxy/Caddyfile inside `handle /_matrix/*`: docker-compose.yml mounts this folder there',
    "# with the profile `workers`. Endpoints from Synapse's worker documentation, by group.",
  ];
  for (const worker of workers) {
    for (const id of worker.routes) {
      const group: RouteGroup = ROUTE_GROUPS[id];
      const matcher = `@${worker.name.replace(/[^a-z0-9]/g, '_')}_${id}`;
      lines.push('', `# ${group.title} → ${worker.name}`, `${matcher} {`);
      if (group.methods) lines.push(`\tmethod ${group.methods.join(' ')}`);
      lines.push(
        `\tpath_regexp ${group.patterns.length === 1 ? group.patterns[0] : `(${group.patterns.join('|')})`}`,
        '}',
        `reverse_proxy ${matcher} ${worker.name}:${worker.port}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
