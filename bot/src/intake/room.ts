import { CreationKey, EventType, type ConversationRoomContent, type PublicStatus } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { youthRoomPowerLevels } from '../conversation/power-levels.ts';
import { SERVER_ACL } from '../federation/conversation.ts';
import { conversationServerAcl } from '../federation/acl.ts';

/** A neutral name: it shows in notifications and browser tabs, so it says nothing about why. */
export const ROOM_NAME = 'Espace mineurs';

type StateEvent = { type: string; state_key: string; content: Record<string, unknown> };

/**
 * Everything a young person's room needs before anyone is in it, in one createRoom: its settings, power levels,
 * the triage status, and for a room opened on demand the marker naming its guest (`marker`, with `invite`); a
 * pooled room instead says so in its create event. Nothing in a pooled room is personal.
 */
function createYouthRoom(
  ctx: Context,
  at: number,
  room: { marker: StateEvent; invite: string[] } | 'pooled',
): Promise<string> {
  const status: PublicStatus = { state: 'triage', agentJoined: false, updatedAt: at };
  // Federated: the room must federate from its creation (m.federate cannot change later), but until routing
  // names the serving force its ACL admits the public server alone (conversation/entry.ts widens it).
  const federation = ctx.federation;
  const federate = federation !== undefined;
  return ctx.matrix.createRoom({
    preset: 'private_chat',
    visibility: 'private',
    name: ROOM_NAME,
    invite: room === 'pooled' ? [] : room.invite,
    creation_content: { 'm.federate': federate, ...(room === 'pooled' ? { [CreationKey.PooledRoom]: true } : {}) },
    power_level_content_override: youthRoomPowerLevels(ctx.matrix.userId),
    initial_state: [
      { type: 'm.room.join_rules', state_key: '', content: { join_rule: 'invite' } },
      { type: 'm.room.guest_access', state_key: '', content: { guest_access: 'can_join' } },
      // Agents invited later must read the whole conversation, triage included.
      { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } },
      { type: EventType.Status, state_key: '', content: status },
      ...(federation
        ? [
            {
              type: SERVER_ACL,
              state_key: '',
              content: conversationServerAcl(federation.publicServer, federation.publicServer),
            },
          ]
        : []),
      ...(room === 'pooled' ? [] : [room.marker]),
    ],
  });
}

/** A room for one guest, created with them invited and its marker, when the pool has none ready. */
export function createConversationRoom(ctx: Context, at: number, marker: ConversationRoomContent): Promise<string> {
  return createYouthRoom(ctx, at, {
    marker: { type: EventType.ConversationRoom, state_key: '', content: marker },
    invite: [marker.guest],
  });
}

/** A ready room for the pool (intake/pool.ts): marked as such in its create event, no guest, only the bot. */
export function createPooledRoom(ctx: Context): Promise<string> {
  return createYouthRoom(ctx, ctx.now(), 'pooled');
}
