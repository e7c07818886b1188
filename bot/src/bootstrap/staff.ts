import { randomBytes } from 'node:crypto';
import { EventType, userStateKey, type Force, type StaffRole } from '@espace-mineurs/protocol';
import { logger } from '../log.ts';
import {
  adminUser,
  forceJoin,
  putAdminUser,
  rateLimitOverride,
  removeRateLimits,
  type AdminApi,
} from '../matrix/admin.ts';
import type { Matrix } from '../matrix/client.ts';
import { STAFF_POWER } from './power-levels.ts';
import { ensureState, type ForceRooms } from './rooms.ts';

const log = logger.child({ module: 'bootstrap.staff' });

export interface StaffSpec {
  /**
   * Opaque localpart (`opaqueLocalpart()`): young people see staff Matrix IDs (`sender`, members), so an ID says
   * nothing of the force, the role or the person, and is not the same across two deployments.
   */
  localpart: string;
  force: Force;
  role: StaffRole;
  /** What a young person sees. Never a real name. */
  pseudonym: string;
  /** Sets this password when the account is created (or reset: see below). Generated when absent. */
  password?: string;
  /** Reset the password of an existing account to `password` (demo accounts whose credentials file was lost). */
  resetPassword?: boolean;
}

export interface StaffResult {
  userId: string;
  /** Set only when this call created the account or reset its password. */
  password?: string;
}

export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

// Lower-case letters and digits that are hard to misread when an agent types their login (no 0/o, 1/l/i).
const LOGIN_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/**
 * A random staff localpart such as `k7m2q9xwte`: 10 characters (about 49 bits), starting with a letter so it never
 * looks like a guest's numeric ID. Drawn by rejection, so every character is equally likely.
 */
export function opaqueLocalpart(): string {
  let out = '';
  while (out.length < 10) {
    for (const byte of randomBytes(16)) {
      if (byte >= 248) continue;
      const char = LOGIN_ALPHABET[byte % LOGIN_ALPHABET.length]!;
      if (out.length === 0 && !/[a-z]/.test(char)) continue;
      out += char;
      if (out.length === 10) break;
    }
  }
  return out;
}

const LOCALPART = /^[a-z0-9._=-]{1,64}$/;

async function userExists(client: AdminApi, userId: string): Promise<boolean> {
  return (await adminUser(client, userId)) !== undefined;
}

/** Exempts an account from Synapse's per-account rate limits (admin API). Idempotent. */
export async function exemptFromRateLimits(client: AdminApi, userId: string): Promise<void> {
  const current = await rateLimitOverride(client, userId);
  if (current.messages_per_second === 0 && current.burst_count === 0) return;
  await removeRateLimits(client, userId);
}

async function ensurePower(client: Matrix, roomId: string, userId: string, level: number): Promise<void> {
  const levels = (await client.getState<{ users?: Record<string, number> }>(roomId, 'm.room.power_levels')) ?? {};
  if (levels.users?.[userId] === level) return;
  await client.putState(roomId, 'm.room.power_levels', '', { ...levels, users: { ...levels.users, [userId]: level } });
}

/** Makes the user a joined member of the room through the admin join API (the bot must be in the room). */
async function ensureJoined(client: Matrix, roomId: string, userId: string): Promise<void> {
  if ((await client.membership(roomId, userId)) === 'join') return;
  await forceJoin(client, roomId, userId);
}

/**
 * Creates a member of staff, or finds them again, and puts them where their role needs them: the force space
 * and queue for everyone, the supervisors and audit rooms for supervisors. Running it twice changes nothing.
 */
export async function ensureStaffMember(
  client: Matrix,
  serverName: string,
  rooms: ForceRooms,
  spec: StaffSpec,
): Promise<StaffResult> {
  if (!LOCALPART.test(spec.localpart)) {
    throw new Error(`staff localpart "${spec.localpart}" must match ${LOCALPART}`);
  }
  const userId = `@${spec.localpart}:${serverName}`;
  let password: string | undefined;
  if (!(await userExists(client, userId))) {
    password = spec.password ?? generatePassword();
    await putAdminUser(client, userId, { password, displayname: spec.pseudonym, admin: false });
    log.info({ userId, force: spec.force, role: spec.role }, 'created staff account');
  } else if (spec.resetPassword && spec.password) {
    password = spec.password;
    await putAdminUser(client, userId, { password, logout_devices: false });
    log.info({ userId }, 'reset staff password');
  }
  // Staff answer many conversations at once and paste canned responses: per-account limits are for guests.
  await exemptFromRateLimits(client, userId);

  await ensureState(client, rooms.spaceId, EventType.Staff, userStateKey(userId), {
    force: spec.force,
    role: spec.role,
    pseudonym: spec.pseudonym,
    active: true,
  });

  const power = STAFF_POWER[spec.role];
  const roomsForRole =
    spec.role === 'supervisor'
      ? [rooms.spaceId, rooms.queueRoomId, rooms.supervisorsRoomId, rooms.auditRoomId]
      : [rooms.spaceId, rooms.queueRoomId];
  for (const roomId of roomsForRole) {
    if (roomId !== rooms.spaceId && roomId !== rooms.auditRoomId) await ensurePower(client, roomId, userId, power);
    await ensureJoined(client, roomId, userId);
  }
  return password ? { userId, password } : { userId };
}
