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

export class AdminError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'AdminError';
    this.code = code;
  }
}

export interface AdminContext {
  hs: ConnectedHomeserver;
  /** The bot account's credentials (the command line acts as the bot, on the bot's host). */
  credentials: BotCredentials;
  serverName: string;
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

export async function connect(
  homeserverUrl: string,
  stateDir: string,
  deletionJournal?: string,
): Promise<AdminContext> {
  const file = join(stateDir, 'bot-credentials.json');
  if (!existsSync(file))
    throw new AdminError(
      'NO_CREDENTIALS',
      `pas d'identifiants du service dans ${file} : lancez d'abord le bootstrap, ou indiquez le bon --state-dir`,
    );
  const credentials = JSON.parse(readFileSync(file, 'utf8')) as BotCredentials;
  const hs = connectHomeserver(homeserverUrl, credentials.accessToken, credentials.userId);
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
  return {
    hs,
    credentials,
    serverName,
    stateDir,
    forces,
    ...(deletionJournal ? { deletionJournal: new DeletionJournal(deletionJournal) } : {}),
  };
}
