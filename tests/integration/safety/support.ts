import { connectHomeserver, type ConnectedHomeserver } from '../../../bot/src/matrix/homeserver.ts';
import { staffRoomPowerLevels } from '../../../bot/src/bootstrap/power-levels.ts';
import { youthRoomPowerLevels } from '../../../bot/src/conversation/power-levels.ts';
import { matrixRequest, registerGuest, stack, type Session } from '../../support/matrix.ts';
import { join, say } from '../../support/conversation.ts';

/** The bot's account as the safety modules see it (the running test bot uses the same account). */
export function botHomeserver(): ConnectedHomeserver {
  const { baseUrl, bot } = stack();
  return connectHomeserver(baseUrl, bot.accessToken, bot.userId);
}

/** A room shaped like a force audit room (only the bot writes), private to this test. */
export async function createAuditLikeRoom(hs: ConnectedHomeserver, invite: string[] = []): Promise<string> {
  const { room_id } = await hs.request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', {
    body: {
      preset: 'private_chat',
      name: 'test audit',
      invite,
      creation_content: { 'm.federate': false },
      power_level_content_override: staffRoomPowerLevels(hs.userId, { botOnlyMessages: true }),
      initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } }],
    },
  });
  return room_id;
}

/**
 * A room shaped like a young person's conversation room (bot creates it, guest invited, joins and writes), but
 * without the conversation marker, so the running test bot leaves it alone.
 */
export async function createConversationLikeRoom(
  hs: ConnectedHomeserver,
  guest: Session,
  messages: string[],
): Promise<{ roomId: string; eventIds: string[] }> {
  const { room_id: roomId } = await hs.request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', {
    body: {
      preset: 'private_chat',
      name: 'Espace mineurs',
      invite: [guest.userId],
      creation_content: { 'm.federate': false },
      power_level_content_override: youthRoomPowerLevels(hs.userId),
      initial_state: [
        { type: 'm.room.guest_access', state_key: '', content: { guest_access: 'can_join' } },
        { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } },
      ],
    },
  });
  await join(guest, roomId);
  const eventIds: string[] = [];
  for (const body of messages) eventIds.push(await say(guest, roomId, body));
  return { roomId, eventIds };
}

export { registerGuest, matrixRequest, stack };

export async function whoamiStatus(token: string): Promise<{ status: number; errcode?: string }> {
  const response = await matrixRequest<{ errcode?: string }>('GET', '/_matrix/client/v3/account/whoami', { token });
  return { status: response.status, ...(response.body.errcode ? { errcode: response.body.errcode } : {}) };
}
