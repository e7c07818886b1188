/**
 * A young person's room in the federated topology (docs/architecture.md, "Federated topology", rules 1 and 4):
 * created on the public server, federating with the serving force's server only, moved between forces by
 * swapping its server ACL, and purged on every server that held it.
 */
import { logger } from '../log.ts';
import { kickFromRoom, putStateEvent, roomMembers, type Homeserver } from '../matrix/homeserver.ts';
import { deleteRoomWithPurge, type DeletionOptions, type DeletionResult } from '../retention/purge.ts';
import { aclHost, conversationServerAcl } from './acl.ts';
import { serverNameOfUser } from './servers.ts';

const log = logger.child({ module: 'federation.conversation' });

export const SERVER_ACL = 'm.room.server_acl';

/**
 * What `createRoom` needs, beside the single-server body, for a room shared by the public server and one
 * force's: federation on, and the ACL in the initial state so no event from any other server is ever accepted.
 */
export function federatedRoomCreation(
  publicServer: string,
  forceServer: string,
): {
  creation_content: Record<string, unknown>;
  initial_state: Array<{ type: string; state_key: string; content: object }>;
} {
  return {
    creation_content: { 'm.federate': true },
    initial_state: [{ type: SERVER_ACL, state_key: '', content: conversationServerAcl(publicServer, forceServer) }],
  };
}

interface MemberEvent {
  type: string;
  state_key?: string;
  content?: { membership?: string };
}

/** Members (joined or invited) of the room whose account lives on `serverName`. */
export async function membersOnServer(hs: Homeserver, roomId: string, serverName: string): Promise<string[]> {
  const members = await roomMembers<MemberEvent>(hs, roomId);
  const host = aclHost(serverName);
  return members
    .filter((event) => event.type === 'm.room.member' && typeof event.state_key === 'string')
    .filter((event) => event.content?.membership === 'join' || event.content?.membership === 'invite')
    .map((event) => event.state_key as string)
    .filter((userId) => aclHost(serverNameOfUser(userId)) === host);
}

/**
 * Hands a room to another force's server: the previous force's users are removed first (while their server may
 * still take part, so their leave reaches it), then the ACL allows the public server and the new force's only.
 * The caller then invites the new force's agent, as on one server. Idempotent: a repeat kicks nobody and writes
 * the same ACL.
 */
export async function moveRoomToForceServer(
  publicBot: Homeserver,
  roomId: string,
  move: { publicServer: string; fromServer: string; toServer: string },
): Promise<{ removed: string[] }> {
  const removed =
    aclHost(move.fromServer) === aclHost(move.publicServer)
      ? []
      : await membersOnServer(publicBot, roomId, move.fromServer);
  for (const userId of removed) {
    await kickFromRoom(publicBot, roomId, userId, 'transfert');
  }
  await putStateEvent(publicBot, roomId, SERVER_ACL, '', conversationServerAcl(move.publicServer, move.toServer));
  log.info({ roomId, removed: removed.length }, 'moved a conversation to another force server');
  return { removed };
}

/**
 * Deletes a conversation on every server of the deployment, each through the bot's admin account there: the
 * public server first (it holds the young person's copy), then each force server (a server that never held the
 * room answers "already gone"). Each result says what that server did.
 */
export async function purgeEverywhere(
  bots: readonly Homeserver[],
  roomId: string,
  options: DeletionOptions = {},
): Promise<Array<DeletionResult & { server: string }>> {
  const results: Array<DeletionResult & { server: string }> = [];
  for (const bot of bots)
    results.push({ ...(await deleteRoomWithPurge(bot, roomId, options)), server: serverNameOfUser(bot.userId) });
  return results;
}
