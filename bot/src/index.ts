import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FORCES, type Force } from '@espace-mineurs/protocol';
import { AuditLog } from './audit/audit-log.ts';
import { AuditOutbox } from './audit/outbox.ts';
import { roomAliasLocalpart, type BotCredentials, type ForceRooms } from './bootstrap/index.ts';
import { readJsonFile } from './bootstrap/files.ts';
import type { BotConfig } from './config.ts';
import { withConversation, type Context } from './runtime/context.ts';
import { ensureStarted } from './intake/open.ts';
import { Admission } from './intake/admission.ts';
import { RoomPool } from './intake/pool.ts';
import { createPooledRoom } from './intake/room.ts';
import { loadCoolDowns } from './closing/cool-down.ts';
import { loadDisclosures } from './disclosure/records.ts';
import { cancelPositionRefreshes, reconcileStatus } from './conversation/status.ts';
import { handleBatch } from './handlers/index.ts';
import { createApp } from './http/app.ts';
import { KeyedQueue } from './runtime/locks.ts';
import { bridgeMatrixBotSdkLogs, logger } from './log.ts';
import { Matrix } from './matrix/client.ts';
import { resolveAlias } from './matrix/homeserver.ts';
import { SyncLoop } from './matrix/sync.ts';
import { Metrics } from './metrics.ts';
import { AuditMirror } from './audit/mirror.ts';
import { loadRoutingRules } from './routing/rules.ts';
import { applyStaffRoomRetention } from './retention/sweep.ts';
import { DeletionJournal, replayDeletions } from './retention/journal.ts';
import { rebuild } from './state/rebuild.ts';
import { Store } from './state/store.ts';
import { startSweeper } from './timeouts/sweeper.ts';
import { loadTriageDefinition } from './triage/definition.ts';
import { FEDERATION_FILE, serverStateDir, type FederationDescriptor, type ServerRole } from './federation/bootstrap.ts';
import { FederatedMatrix } from './federation/matrix.ts';
import { serverNameOfUser } from './federation/servers.ts';

export { loadConfig, parseConfig, BotConfig, ConfigError, type BotConfigInput } from './config.ts';

const log = logger.child({ module: 'start' });

export interface RunningBot {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:8090. */
  url: string;
  stop(): Promise<void>;
}

async function findForceRooms(matrix: Matrix, serverName: string): Promise<Record<Force, ForceRooms>> {
  const resolve = async (force: Force, role: 'force_space' | 'queue' | 'supervisors' | 'audit') => {
    const alias = `#${roomAliasLocalpart(force, role)}:${serverName}`;
    try {
      return await resolveAlias(matrix, alias);
    } catch (error) {
      throw new Error(`room ${alias} not found: run the bootstrap first (npm start does)`, { cause: error });
    }
  };
  const forces = {} as Record<Force, ForceRooms>;
  for (const force of FORCES) {
    forces[force] = {
      spaceId: await resolve(force, 'force_space'),
      queueRoomId: await resolve(force, 'queue'),
      supervisorsRoomId: await resolve(force, 'supervisors'),
      auditRoomId: await resolve(force, 'audit'),
    };
  }
  return forces;
}

interface Topology {
  matrix: Matrix;
  forces: Record<Force, ForceRooms>;
  syncs: Array<{ client: Matrix; file: string }>;
  federation?: { publicServer: string; forceServers: Record<Force, string> };
}

function readCredentials(file: string): BotCredentials {
  const credentials = readJsonFile<BotCredentials>(file);
  if (!credentials) throw new Error(`no bot credentials at ${file}: run the bootstrap first (npm start does)`);
  return credentials;
}

/**
 * The bot's clients. A single server: one client, the force rooms found by alias. The federated topology (the
 * federated bootstrap wrote federation.json in the state folder): one client per server with the credentials
 * of servers/<role>/, the force rooms from the descriptor, one sync loop per server; `config.homeserverUrl`
 * must then be the public server's (the site's guests are checked there).
 */
async function connect(config: BotConfig): Promise<Topology> {
  const descriptor = readJsonFile<FederationDescriptor>(join(config.stateDir, FEDERATION_FILE));
  if (!descriptor) {
    const credentials = readCredentials(join(config.stateDir, 'bot-credentials.json'));
    const matrix = new Matrix(config.homeserverUrl, credentials.accessToken, credentials.userId);
    return {
      matrix,
      forces: await findForceRooms(matrix, serverNameOfUser(credentials.userId)),
      syncs: [{ client: matrix, file: join(config.stateDir, 'bot-sync.json') }],
    };
  }
  if (descriptor.servers.public.baseUrl.replace(/\/+$/, '') !== config.homeserverUrl) {
    throw new Error(
      `the homeserver URL (${config.homeserverUrl}) is not the federation's public server (${descriptor.servers.public.baseUrl})`,
    );
  }
  const client = (role: ServerRole): Matrix => {
    const credentials = readCredentials(join(serverStateDir(config.stateDir, role), 'bot-credentials.json'));
    return new Matrix(descriptor.servers[role].baseUrl, credentials.accessToken, credentials.userId);
  };
  const publicClient = client('public');
  const forceClients = FORCES.map((force) => client(force));
  const matrix = new FederatedMatrix(publicClient, forceClients);
  const syncs = [publicClient, ...forceClients].map((one, index) => ({
    client: one,
    file: join(serverStateDir(config.stateDir, (['public', ...FORCES] as const)[index]!), 'bot-sync.json'),
  }));
  return {
    matrix,
    forces: descriptor.forces,
    syncs,
    federation: {
      publicServer: descriptor.servers.public.serverName,
      forceServers: Object.fromEntries(FORCES.map((force) => [force, descriptor.servers[force].serverName])) as Record<
        Force,
        string
      >,
    },
  };
}

/**
 * Starts the conversation service: reads the bot credentials the bootstrap wrote, rebuilds state from Matrix,
 * follows the homeserver, and serves the HTTP API. Reads no environment and installs no signal handler.
 */
export async function start(config: BotConfig): Promise<RunningBot> {
  bridgeMatrixBotSdkLogs();
  const triage = loadTriageDefinition(config.triageFile);
  const rules = loadRoutingRules(config.routingFile);
  const topology = await connect(config);
  const { matrix, forces } = topology;
  const store = new Store(forces);
  const locks = new KeyedQueue();
  const admission = new Admission(config.intake.admissionConcurrency);
  const auditRooms = { police: forces.police.auditRoomId, gendarmerie: forces.gendarmerie.auditRoomId };
  const ctx: Context = {
    config,
    matrix,
    store,
    triage,
    rules,
    audit: new AuditLog(
      matrix,
      auditRooms,
      locks,
      {
        police: new AuditMirror(join(config.stateDir, 'audit', 'police.jsonl')),
        gendarmerie: new AuditMirror(join(config.stateDir, 'audit', 'gendarmerie.jsonl')),
      },
      {
        police: new AuditOutbox(join(config.stateDir, 'audit', 'police.outbox.jsonl')),
        gendarmerie: new AuditOutbox(join(config.stateDir, 'audit', 'gendarmerie.outbox.jsonl')),
      },
    ),
    metrics: new Metrics(
      store,
      () => ctx.audit.backlog(),
      () => ctx.now(),
    ),
    locks,
    admission,
    // ctx is complete before the pool's first refill (after the rebuild) calls this.
    pool: new RoomPool({
      target: config.intake.poolSize,
      admission,
      create: () => createPooledRoom(ctx),
      log: logger.child({ module: 'pool' }),
    }),
    log: logger.child({ module: 'engine' }),
    staff: (userId) => ctx.store.staff.get(userId),
    ...(topology.federation ? { federation: topology.federation } : {}),
    now: Date.now,
  };
  ctx.audit.namer = {
    actor: (userId) => store.staff.get(userId)?.pseudonym,
    ticket: (roomId) => store.conversations.get(roomId)?.entry?.ticket,
    botUserId: matrix.userId,
  };
  await ctx.audit.load();
  // After a restore, rooms deleted since the backup are back in the database: delete them again before anything
  // reads them (the next retention pass then scrubs their traces, as after any deletion).
  if (config.deletionJournal) {
    await replayDeletions(ctx, new DeletionJournal(config.deletionJournal), {
      police: forces.police.supervisorsRoomId,
      gendarmerie: forces.gendarmerie.supervisorsRoomId,
    });
  } else {
    log.warn(
      'no deletion journal (ESPACE_DELETION_JOURNAL): a restored backup would bring back conversations deleted since',
    );
  }

  // The sync position is read before the state: anything that happens after this point is replayed to the
  // handlers, which are idempotent, so nothing between the two reads can be missed.
  const seen = new Set<string>();
  // One sync loop per server (one on a single server), each with its own saved position; an event seen by two
  // (none should be: each room has one bot account in it) is handled once.
  const syncs = topology.syncs.map(
    ({ client, file }) => new SyncLoop(client, file, (batch) => handleBatch(ctx, batch, seen)),
  );
  ctx.metrics.watchIntake(() => ({
    poolReady: ctx.pool.size,
    poolTarget: config.intake.poolSize,
    openingsRunning: ctx.admission.load.running,
    openingsWaiting: ctx.admission.load.waiting,
  }));
  ctx.metrics.watchSync(() => {
    const all = syncs.map((loop) => loop.health());
    return {
      lastSuccessAt: Math.min(...all.map((health) => health.lastSuccessAt)),
      consecutiveFailures: Math.max(...all.map((health) => health.consecutiveFailures)),
    };
  });
  const firstStart = !existsSync(topology.syncs[0]!.file);
  await rebuild(ctx);
  await loadDisclosures(ctx);
  await loadCoolDowns(ctx);
  // Addresses of guests whose account is still alive (an open conversation, or one in its grace period).
  store.addressOf.persistTo(join(config.stateDir, 'open-addresses.json'));
  store.addressOf.retain((guest) => {
    const latest = store.latestByGuest.get(guest);
    const conversation = latest ? store.conversations.get(latest) : undefined;
    return conversation !== undefined && conversation.entry?.guestEndedAt === undefined;
  });
  await applyStaffRoomRetention(ctx);
  for (const loop of syncs) await loop.start();
  // A crash between naming a room for its guest and sending the first question: invite and send it now
  // (idempotent otherwise).
  for (const conversation of store.conversations.values()) {
    if (conversation.triage && conversation.triage.handled.length === 0 && !conversation.entry) {
      void withConversation(ctx, conversation.roomId, () => ensureStarted(ctx, conversation)).catch((error: unknown) =>
        ctx.log.warn(
          { roomId: conversation.roomId, err: (error as Error).message },
          'could not resend the first question',
        ),
      );
    }
  }
  // A status held back for an agent's join when the bot was stopped or killed: written now.
  for (const conversation of store.conversations.values()) {
    // A guest whose account has ended sees no status any more (rebuilt without one: state/rebuild.ts).
    if (!conversation.entry || conversation.entry.guestEndedAt !== undefined) continue;
    void withConversation(ctx, conversation.roomId, () => reconcileStatus(ctx, conversation)).catch((error: unknown) =>
      ctx.log.warn({ roomId: conversation.roomId, err: (error as Error).message }, 'could not reconcile a status'),
    );
  }
  ctx.pool.refill();
  const sweeper = startSweeper(ctx);

  const app = createApp(ctx);
  const server = await new Promise<import('node:http').Server>((resolve, reject) => {
    const listening = app.listen(config.listen.port, config.listen.host, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log.info({ url, firstStart, conversations: store.conversations.size, pooledRooms: ctx.pool.size }, 'bot started');

  let stopping: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopping ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await sweeper.stop();
        await ctx.pool.stop();
        for (const loop of syncs) await loop.stop();
        cancelPositionRefreshes(ctx);
        await ctx.audit.close();
        log.info('bot stopped');
      })();
      return stopping;
    },
  };
}
