import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FORCES, type Force, type RoomRole } from '@espace-mineurs/protocol';
import type { BotCredentials } from '../bootstrap/bot-account.ts';
import { roomAliasLocalpart, type ForceRooms } from '../bootstrap/rooms.ts';
import {
  connectHomeserver,
  isNotFoundError,
  resolveAlias as roomOfAlias,
  whoamiOf,
  type ConnectedHomeserver,
} from '../matrix/homeserver.ts';
import { UsageError } from './args.ts';
import { DeletionJournal } from '../retention/journal.ts';
import {
  FEDERATION_FILE,
  serverStateDir,
  type FederationDescriptor,
  type ServerRole,
} from '../federation/bootstrap.ts';
import { FederatedMatrix } from '../federation/matrix.ts';
import { Matrix } from '../matrix/client.ts';

export class AdminError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'AdminError';
    this.code = code;
  }
}

export interface AdminContext {
  /**
   * The bot's connection. Federated (the state folder holds federation.json): the bot's client on every server
   * (`FederatedMatrix`), each request going to the server of the room or user it names, as in the bot.
   */
  hs: ConnectedHomeserver;
  /** The bot account's credentials (the command line acts as the bot, on the bot's host); the public server's. */
  credentials: BotCredentials;
  serverName: string;
  /** Federated: each force's server name, where its staff accounts live. Absent on a single server. */
  forceServers?: Record<Force, string>;
  stateDir: string;
  forces: Record<Force, ForceRooms>;
  /** The bot's deletion journal: a deletion made here is replayed after a restore, like the bot's own. */
  deletionJournal?: DeletionJournal;
}

/** Where the command line finds the homeserver and the bot credentials: options, then the bot's variables. */
export function locate(
  options: Map<string, string>,
  env: NodeJS.ProcessEnv,
): { homeserverUrl: string; stateDir: string; deletionJournal?: string } {
  const homeserverUrl = options.get('homeserver') ?? env.ESPACE_HOMESERVER_URL;
  const stateDir = options.get('state-dir') ?? env.ESPACE_STATE_DIR;
  if (!homeserverUrl)
    throw new UsageError('adresse du homeserver inconnue : --homeserver URL ou ESPACE_HOMESERVER_URL');
  if (!stateDir)
    throw new UsageError(
      'dossier d’état inconnu : --state-dir DOSSIER ou ESPACE_STATE_DIR (il contient bot-credentials.json)',
    );
  const deletionJournal = options.get('deletion-journal') ?? env.ESPACE_DELETION_JOURNAL;
  return {
    homeserverUrl: homeserverUrl.replace(/\/+$/, ''),
    stateDir,
    ...(deletionJournal ? { deletionJournal } : {}),
  };
}

async function resolveAlias(hs: ConnectedHomeserver, alias: string): Promise<string> {
  try {
    return await roomOfAlias(hs, alias);
  } catch (error) {
    if (isNotFoundError(error))
      throw new AdminError(
        'NOT_BOOTSTRAPPED',
        `le salon ${alias} n'existe pas : lancez d'abord le bootstrap (npm start le fait)`,
      );
    throw error;
  }
}

/** The bot's token checked against the server it was issued by: refused or unreachable is said plainly. */
async function checkToken(hs: ConnectedHomeserver, homeserverUrl: string, file: string): Promise<void> {
  try {
    await whoamiOf(hs);
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 401)
      throw new AdminError(
        'BAD_CREDENTIALS',
        `le jeton de ${file} est refusé par ${homeserverUrl} : relancez le bootstrap (il le renouvelle)`,
      );
    if (status === undefined) throw new AdminError('UNREACHABLE', `le homeserver ${homeserverUrl} ne répond pas`);
    throw error;
  }
}

function readCredentials(file: string): BotCredentials {
  if (!existsSync(file))
    throw new AdminError(
      'NO_CREDENTIALS',
      `pas d'identifiants du service dans ${file} : lancez d'abord le bootstrap, ou indiquez le bon --state-dir`,
    );
  return JSON.parse(readFileSync(file, 'utf8')) as BotCredentials;
}

/**
 * The federated topology: the bot's account on each of the three servers (servers/<role>/, written by the
 * federated bootstrap), the force rooms from federation.json. `homeserverUrl` must be the public server's, as for
 * the bot.
 */
async function connectFederated(
  homeserverUrl: string,
  stateDir: string,
  descriptor: FederationDescriptor,
): Promise<Omit<AdminContext, 'stateDir' | 'deletionJournal'>> {
  const publicUrl = descriptor.servers.public.baseUrl.replace(/\/+$/, '');
  if (publicUrl !== homeserverUrl)
    throw new AdminError(
      'NOT_PUBLIC_SERVER',
      `${homeserverUrl} n'est pas le serveur public de la fédération (${publicUrl}, dans ${FEDERATION_FILE})`,
    );
  const clients = {} as Record<ServerRole, Matrix>;
  let publicCredentials: BotCredentials | undefined;
  for (const role of ['public', ...FORCES] as const) {
    const file = join(serverStateDir(stateDir, role), 'bot-credentials.json');
    const credentials = readCredentials(file);
    const url = descriptor.servers[role].baseUrl.replace(/\/+$/, '');
    clients[role] = new Matrix(url, credentials.accessToken, credentials.userId);
    await checkToken(clients[role], url, file);
    if (role === 'public') publicCredentials = credentials;
  }
  return {
    hs: new FederatedMatrix(
      clients.public,
      FORCES.map((force) => clients[force]),
    ),
    credentials: publicCredentials!,
    serverName: descriptor.servers.public.serverName,
    forceServers: {
      police: descriptor.servers.police.serverName,
      gendarmerie: descriptor.servers.gendarmerie.serverName,
    },
    forces: descriptor.forces,
  };
}

export async function connect(
  homeserverUrl: string,
  stateDir: string,
  deletionJournal?: string,
): Promise<AdminContext> {
  const journal = deletionJournal ? { deletionJournal: new DeletionJournal(deletionJournal) } : {};
  const federationFile = join(stateDir, FEDERATION_FILE);
  if (existsSync(federationFile)) {
    const descriptor = JSON.parse(readFileSync(federationFile, 'utf8')) as FederationDescriptor;
    return { ...(await connectFederated(homeserverUrl, stateDir, descriptor)), stateDir, ...journal };
  }
  const file = join(stateDir, 'bot-credentials.json');
  const credentials = readCredentials(file);
  const hs = connectHomeserver(homeserverUrl, credentials.accessToken, credentials.userId);
  await checkToken(hs, homeserverUrl, file);
  const serverName = credentials.userId.slice(credentials.userId.indexOf(':') + 1);
  const forces = {} as Record<Force, ForceRooms>;
  for (const force of FORCES) {
    const room = (role: Exclude<RoomRole, 'force_space'> | 'force_space') =>
      resolveAlias(hs, `#${roomAliasLocalpart(force, role)}:${serverName}`);
    forces[force] = {
      spaceId: await room('force_space'),
      queueRoomId: await room('queue'),
      supervisorsRoomId: await room('supervisors'),
      auditRoomId: await room('audit'),
    };
  }
  return { hs, credentials, serverName, stateDir, forces, ...journal };
}

/** The bot's account that writes in a room: the force server's account for a force room when federated. */
export function botUserIn(ctx: AdminContext, roomId: string): string {
  return ctx.hs instanceof FederatedMatrix ? ctx.hs.userIdIn(roomId) : ctx.hs.userId;
}

/** A client acting on a force's server: where its staff accounts are made and its rooms live. */
export function forceClient(ctx: AdminContext, force: Force): Matrix {
  if (ctx.hs instanceof FederatedMatrix) return ctx.hs.clientOn(ctx.forces[force].spaceId);
  return new Matrix(ctx.hs.baseUrl, ctx.credentials.accessToken, ctx.hs.userId);
}

/** The server a force's staff accounts belong to. */
export function staffServer(ctx: AdminContext, force: Force): string {
  return ctx.forceServers?.[force] ?? ctx.serverName;
}
