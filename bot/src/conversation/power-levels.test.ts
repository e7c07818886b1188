import { describe, expect, it } from 'vitest';
import { youthRoomPowerLevels } from './power-levels.ts';

describe('youthRoomPowerLevels', () => {
  const levels = youthRoomPowerLevels('@bot:test');

  it('gives the bot 100 and everyone else 0', () => {
    expect(levels.users).toEqual({ '@bot:test': 100 });
    expect(levels.users_default).toBe(0);
  });

  it('keeps state, and every protective setting, at 100', () => {
    expect(levels.state_default).toBe(100);
    for (const type of [
      'm.room.power_levels',
      'm.room.join_rules',
      'm.room.guest_access',
      'm.room.history_visibility',
      'm.room.encryption',
      'm.room.retention',
      'm.space.parent',
      'm.room.name',
      'm.room.topic',
      'm.room.avatar',
    ]) {
      expect(levels.events[type as keyof typeof levels.events], type).toBe(100);
    }
  });

  it('lets agents (50) invite, kick, ban and redact, but not a guest (0)', () => {
    expect([levels.invite, levels.kick, levels.ban, levels.redact, levels.events['m.room.redaction']]).toEqual([
      50, 50, 50, 50, 50,
    ]);
  });
});
