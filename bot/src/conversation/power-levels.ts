/** Power of the people in a young person's room (docs/architecture.md, "Principles": least privilege by power levels). */
export const YOUTH_ROOM_POWER = { bot: 100, agent: 50, guest: 0 } as const;

/**
 * Power levels of a young person's room, exactly as docs/architecture.md ("Principles", least privilege) says: bot 100, agents 50, guest 0;
 * state 100 by default; invite, kick, ban, redact 50; the room's protective settings 100. Synapse merges
 * `power_level_content_override` shallowly, so the whole `events` map is given (the private_chat preset would
 * otherwise leave invite at 0).
 */
export function youthRoomPowerLevels(botUserId: string) {
  return {
    users: { [botUserId]: YOUTH_ROOM_POWER.bot },
    users_default: YOUTH_ROOM_POWER.guest,
    events_default: 0,
    state_default: 100,
    invite: 50,
    kick: 50,
    ban: 50,
    redact: 50,
    notifications: { room: 50 },
    events: {
      'm.room.redaction': 50,
      'm.room.power_levels': 100,
      'm.room.join_rules': 100,
      'm.room.guest_access': 100,
      'm.room.history_visibility': 100,
      'm.room.encryption': 100,
      'm.room.retention': 100,
      'm.space.parent': 100,
      'm.room.name': 100,
      'm.room.topic': 100,
      'm.room.avatar': 100,
      'm.room.canonical_alias': 100,
      'm.room.server_acl': 100,
      'm.room.tombstone': 100,
      'm.room.pinned_events': 100,
    },
  };
}
