import { EventType, FORCE_LABEL, type Force, type RoomRole } from '@espace-mineurs/protocol';
import { logger } from '../log.ts';
import type { Matrix } from '../matrix/client.ts';
import { errcodeOf, isNotFound } from '../matrix/errors.ts';
import { resolveAlias as roomOfAlias } from '../matrix/homeserver.ts';
import { EDITABLE_BY_SUPERVISORS, staffRoomPowerLevels } from './power-levels.ts';

const log = logger.child({ module: 'bootstrap.rooms' });

export interface ForceRooms {
  spaceId: string;
  queueRoomId: string;
  supervisorsRoomId: string;
  auditRoomId: string;
}

const ALIAS_SUFFIX: Record<Exclude<RoomRole, 'force_space'>, string> = {
  queue: 'file',
  supervisors: 'superviseurs',
  audit: 'audit',
};

const ROOM_NAME: Record<RoomRole, (force: Force) => string> = {
  force_space: (force) => FORCE_LABEL[force],
  queue: (force) => `${FORCE_LABEL[force]} — file d'attente`,
  supervisors: (force) => `${FORCE_LABEL[force]} — superviseurs`,
  audit: (force) => `${FORCE_LABEL[force]} — journal d'audit`,
};

const ROOM_TOPIC: Record<RoomRole, string> = {
  force_space: "Espace des agents. Réservé aux policiers et gendarmes d'Espace mineurs.",
  queue:
    "Conversations en attente et commandes des agents (tapez !aide). Les notes internes s'écrivent en fil sous l'entrée de la conversation ; le jeune ne les voit jamais.",
  supervisors: 'Coordination des superviseurs.',
  audit: "Journal d'audit, écrit par le service seul. Chaque entrée porte l'empreinte de la précédente.",
};

export function roomAliasLocalpart(force: Force, role: RoomRole): string {
  return role === 'force_space' ? `espace-${force}` : `espace-${force}-${ALIAS_SUFFIX[role]}`;
}

async function resolveAlias(client: Matrix, alias: string): Promise<string | undefined> {
  try {
    return await roomOfAlias(client, alias);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Sends a state event only when its content differs, so a second bootstrap writes nothing. */
export async function ensureState(
  client: Matrix,
  roomId: string,
  type: string,
  stateKey: string,
  content: Record<string, unknown>,
): Promise<boolean> {
  const current = await client.getState(roomId, type, stateKey);
  if (current !== undefined && JSON.stringify(current) === JSON.stringify(content)) return false;
  await client.putState(roomId, type, stateKey, content);
  return true;
}

/**
 * Finds a bootstrap room by its alias, or creates it. The alias is set atomically with the room, so a crash
 * between two steps never yields a second room: the next run resolves the alias and finishes the setup.
 */
async function ensureRoom(
  client: Matrix,
  serverName: string,
  force: Force,
  role: RoomRole,
  botUserId: string,
): Promise<string> {
  const localpart = roomAliasLocalpart(force, role);
  const alias = `#${localpart}:${serverName}`;
  const found = await resolveAlias(client, alias);
  if (found) return found;
  try {
    const roomId = await client.createRoom({
      preset: 'private_chat',
      visibility: 'private',
      room_alias_name: localpart,
      name: ROOM_NAME[role](force),
      topic: ROOM_TOPIC[role],
      creation_content: { 'm.federate': false, ...(role === 'force_space' ? { type: 'm.space' } : {}) },
      power_level_content_override: staffRoomPowerLevels(botUserId, {
        botOnlyMessages: role === 'audit' || role === 'force_space',
      }),
      initial_state: [
        { type: EventType.RoomRole, state_key: '', content: { role, force } },
        { type: 'm.room.guest_access', state_key: '', content: { guest_access: 'forbidden' } },
        // Staff who join later (a new agent, a supervisor) must see what is waiting and what was noted.
        { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } },
      ],
    });
    log.info({ force, role, roomId }, 'created room');
    return roomId;
  } catch (error) {
    // Another bootstrap created it between our lookup and our creation.
    if (errcodeOf(error) === 'M_ROOM_IN_USE') {
      const raced = await resolveAlias(client, alias);
      if (raced) return raced;
    }
    throw error;
  }
}

/** Rooms created by an older bootstrap get the event powers added since (e.g. supervisors' canned responses). */
async function ensureEventPowers(client: Matrix, roomId: string, wanted: Record<string, number>): Promise<void> {
  const levels = (await client.getState<{ events?: Record<string, number> }>(roomId, 'm.room.power_levels')) ?? {};
  if (Object.entries(wanted).every(([type, level]) => levels.events?.[type] === level)) return;
  await client.putState(roomId, 'm.room.power_levels', '', { ...levels, events: { ...levels.events, ...wanted } });
}

export async function ensureForceRooms(
  client: Matrix,
  serverName: string,
  force: Force,
  botUserId: string,
): Promise<ForceRooms> {
  const spaceId = await ensureRoom(client, serverName, force, 'force_space', botUserId);
  const queueRoomId = await ensureRoom(client, serverName, force, 'queue', botUserId);
  await ensureEventPowers(client, queueRoomId, EDITABLE_BY_SUPERVISORS);
  const supervisorsRoomId = await ensureRoom(client, serverName, force, 'supervisors', botUserId);
  const auditRoomId = await ensureRoom(client, serverName, force, 'audit', botUserId);
  for (const childId of [queueRoomId, supervisorsRoomId, auditRoomId]) {
    await ensureState(client, spaceId, 'm.space.child', childId, { via: [serverName] });
    await ensureState(client, childId, 'm.space.parent', spaceId, { via: [serverName], canonical: true });
  }
  return { spaceId, queueRoomId, supervisorsRoomId, auditRoomId };
}
