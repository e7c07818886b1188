import { EventType } from '@espace-mineurs/protocol';

/**
 * Power levels of the rooms the bootstrap creates (force spaces, queues, supervisors, audit). Only the bot
 * changes state; staff write messages. `power_level_content_override` is merged shallowly by Synapse, so the
 * whole `events` map is given here.
 */
export function staffRoomPowerLevels(botUserId: string, options: { botOnlyMessages?: boolean } = {}) {
  return {
    users: { [botUserId]: 100 },
    users_default: 0,
    events_default: options.botOnlyMessages ? 100 : 0,
    state_default: 100,
    invite: 100,
    kick: 100,
    ban: 100,
    redact: 100,
    notifications: { room: 100 },
    events: {
      'm.room.name': 100,
      'm.room.topic': 100,
      'm.room.avatar': 100,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.join_rules': 100,
      'm.room.guest_access': 100,
      'm.room.canonical_alias': 100,
      'm.room.encryption': 100,
      'm.room.server_acl': 100,
      'm.room.tombstone': 100,
      'm.room.retention': 100,
      // Staff may redact their own notes; redacting someone else's needs `redact` (100).
      'm.room.redaction': 50,
      'm.space.child': 100,
      'm.space.parent': 100,
      ...EDITABLE_BY_SUPERVISORS,
    },
  };
}

/** Power of staff in their force's rooms: agents write and run commands; supervisors a little more. */
export const EDITABLE_BY_SUPERVISORS: Record<string, number> = {
  // Supervisors keep their force's canned responses up to date themselves.
  [EventType.CannedResponses]: 75,
};

export const STAFF_POWER = { agent: 50, supervisor: 75 } as const;
