import { logger } from '../log.ts';
import { adminUser, deactivateUser, setUserLocked, type AdminUser } from '../matrix/admin.ts';
import type { Homeserver } from '../matrix/homeserver.ts';
import { SafetyError } from '../runtime/safety.ts';

const log = logger.child({ module: 'safety.guest-account' });

export interface GuestAccountState {
  exists: boolean;
  locked: boolean;
  deactivated: boolean;
}

/** Refuses to touch anything but a guest: a bug upstream must never lock an agent or the bot. */
async function requireGuest(hs: Homeserver, userId: string): Promise<AdminUser | undefined> {
  const user = await adminUser(hs, userId);
  if (user && (!user.is_guest || user.admin))
    throw new SafetyError(
      'NOT_A_GUEST',
      `${userId} n'est pas un compte invité : il ne sera ni verrouillé ni désactivé.`,
    );
  return user;
}

export async function guestAccountState(hs: Homeserver, userId: string): Promise<GuestAccountState> {
  const user = await adminUser(hs, userId);
  return { exists: user !== undefined, locked: Boolean(user?.locked), deactivated: Boolean(user?.deactivated) };
}

/** Locks a guest at once: every request with its token is refused (401 M_USER_LOCKED). Idempotent. */
export async function lockGuest(hs: Homeserver, userId: string): Promise<void> {
  const user = await requireGuest(hs, userId);
  if (!user || user.locked) return;
  await setUserLocked(hs, userId, true);
}

/**
 * Deactivates a guest with erasure: it leaves its rooms, its profile is removed and it is marked erased.
 * Locks it first, always: a guest's access token is a macaroon Synapse never stores, so deactivation (which
 * deletes stored tokens) leaves it working — verified on Synapse 1.160, whoami still answers 200. Only the lock,
 * which survives deactivation, refuses it. Never unlock an ended guest. Idempotent.
 */
export async function deactivateGuest(hs: Homeserver, userId: string): Promise<void> {
  await lockGuest(hs, userId);
  const user = await requireGuest(hs, userId);
  if (!user || user.deactivated) return;
  await deactivateUser(hs, userId);
}

/**
 * Ends a guest account after its conversation closed: lock first (immediate, so nothing more is sent while the
 * deactivation runs), then deactivate with erasure. Safe to call again after a crash between the two steps.
 * The IPs Synapse recorded stay in user_ips until user_ips_max_age (7 days), for the grave-danger procedure.
 */
export async function endGuestAccount(hs: Homeserver, userId: string): Promise<GuestAccountState> {
  await lockGuest(hs, userId);
  await deactivateGuest(hs, userId);
  const state = await guestAccountState(hs, userId);
  log.info({ userId, locked: state.locked, deactivated: state.deactivated }, 'ended a guest account');
  return state;
}
