import { enc, isNotFoundError, type Homeserver } from './homeserver.ts';

/** What the admin API needs of a client: its requests (a `Homeserver`, or `requestsOf` a matrix-bot-sdk client). */
export type AdminApi = Pick<Homeserver, 'request'>;

/*
 * Synapse's admin API, typed: the one place that names its paths. Every caller (closing, retention, disclosure,
 * the admin command line, the bootstrap) goes through these over any Homeserver (the bot's `Matrix`,
 * `connectHomeserver`), so they share its retry policy and typed errors. The token must be a server admin's.
 */

/** What the admin API says of an account (Synapse answers 0/1 for some booleans). */
export interface AdminUser {
  is_guest?: boolean | number;
  locked?: boolean;
  deactivated?: boolean | number;
  admin?: boolean | number;
}

const userPath = (userId: string): string => `/_synapse/admin/v2/users/${enc(userId)}`;

/** The account, or undefined when the server does not know it. */
export async function adminUser(hs: AdminApi, userId: string): Promise<AdminUser | undefined> {
  try {
    return await hs.request<AdminUser>('GET', userPath(userId));
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw error;
  }
}

/** Creates or changes an account (password, lock, admin flag, display name…): `PUT /_synapse/admin/v2/users`. */
export async function putAdminUser(hs: AdminApi, userId: string, changes: Record<string, unknown>): Promise<void> {
  await hs.request('PUT', userPath(userId), { body: changes });
}

/** Locks or unlocks an account: a locked account's every token is refused at once (Synapse facts 2). */
export function setUserLocked(hs: AdminApi, userId: string, locked: boolean): Promise<void> {
  return putAdminUser(hs, userId, { locked });
}

/** Deactivates an account with erasure. */
export async function deactivateUser(hs: AdminApi, userId: string): Promise<void> {
  await hs.request('POST', `/_synapse/admin/v1/deactivate/${enc(userId)}`, { body: { erase: true } });
}

export interface Whois {
  devices?: Record<
    string,
    { sessions?: Array<{ connections?: Array<{ ip?: unknown; user_agent?: unknown; last_seen?: unknown }> }> }
  >;
}

/** What the server recorded of an account's connections (addresses, user agents, times). */
export function whois(hs: AdminApi, userId: string): Promise<Whois> {
  return hs.request<Whois>('GET', `/_synapse/admin/v1/whois/${enc(userId)}`);
}

/** The rate limits of one account, and their removal (Synapse facts 4). */
export function rateLimitOverride(
  hs: AdminApi,
  userId: string,
): Promise<{ messages_per_second?: number; burst_count?: number }> {
  return hs.request('GET', `/_synapse/admin/v1/users/${enc(userId)}/override_ratelimit`);
}

export async function removeRateLimits(hs: AdminApi, userId: string): Promise<void> {
  await hs.request('POST', `/_synapse/admin/v1/users/${enc(userId)}/override_ratelimit`, {
    body: { messages_per_second: 0, burst_count: 0 },
  });
}

/** Makes a local account join a room the server admin can reach. */
export async function forceJoin(hs: AdminApi, roomId: string, userId: string): Promise<void> {
  await hs.request('POST', `/_synapse/admin/v1/join/${enc(roomId)}`, { body: { user_id: userId } });
}

/** Whether the server still knows a room. */
export async function roomKnown(hs: AdminApi, roomId: string): Promise<boolean> {
  try {
    await hs.request('GET', `/_synapse/admin/v1/rooms/${enc(roomId)}`);
    return true;
  } catch (error) {
    if (isNotFoundError(error)) return false;
    throw error;
  }
}

/** The media a room's events reference: uploaded on this server (`local`) or on another one (`remote`). */
export async function roomMedia(hs: AdminApi, roomId: string): Promise<{ local: string[]; remote: string[] }> {
  const answer = await hs.request<{ local?: string[]; remote?: string[] }>(
    'GET',
    `/_synapse/admin/v1/room/${enc(roomId)}/media`,
  );
  return { local: answer.local ?? [], remote: answer.remote ?? [] };
}

/**
 * Empties this server's cache of other servers' media (what it fetched over federation for its users), all of it:
 * Synapse 1.160 cannot delete one remote media (`DELETE /_synapse/admin/v1/media/<server>/<id>` answers 400 "Can
 * only delete local media" for another server's), and `purge_media_cache` selects by last access only. Quarantined
 * entries are kept by Synapse. Returns how many it deleted; what is still needed is fetched again on demand.
 */
export async function purgeRemoteMediaCache(hs: AdminApi): Promise<number> {
  // Last accessed before the end of time: the whole cache, whatever the two clocks say.
  const answer = await hs.request<{ deleted?: number }>(
    'POST',
    `/_synapse/admin/v1/purge_media_cache?before_ts=${Number.MAX_SAFE_INTEGER}`,
  );
  return answer.deleted ?? 0;
}

/** Starts deleting a room (Synapse facts 3); returns the background task's id. */
export async function startRoomDeletion(
  hs: AdminApi,
  roomId: string,
  body: { purge: boolean; block: boolean; force_purge?: boolean },
): Promise<string> {
  return (await hs.request<{ delete_id: string }>('DELETE', `/_synapse/admin/v2/rooms/${enc(roomId)}`, { body }))
    .delete_id;
}

export async function roomDeletionStatus(hs: AdminApi, deleteId: string): Promise<string> {
  return (await hs.request<{ status: string }>('GET', `/_synapse/admin/v2/rooms/delete_status/${enc(deleteId)}`))
    .status;
}

/**
 * Deletes one local media from the media store. Room purges and redactions leave media behind, so every place
 * that takes data back calls this. Returns false when it was not there (or is not a local mxc URI).
 */
export async function deleteLocalMedia(hs: AdminApi, mxc: string): Promise<boolean> {
  const match = /^mxc:\/\/([^/]+)\/([^/]+)$/.exec(mxc);
  if (!match) return false;
  try {
    await hs.request('DELETE', `/_synapse/admin/v1/media/${enc(match[1]!)}/${enc(match[2]!)}`);
    return true;
  } catch (error) {
    if (isNotFoundError(error)) return false;
    throw error;
  }
}
