import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, join as joinRoom, waitFor } from './support.ts';
import {
  botSession,
  command,
  demoLogin,
  entryOf,
  known,
  openAndTriage,
  startDeployment,
  type RunningDeployment,
} from './bot-support.ts';

/**
 * Issue 14, "the same for a young person's guest account": a guest of the public server served by the police, its
 * conversation closed, then its account ended by the real bot after the grace period and its room deleted by the
 * retention sweep. The account exists on the public server only; what the police server learnt of it over
 * federation (its membership, its devices, the user directory's entry) goes with the room and the account's end.
 * Each server's SQLite database is read afterwards for any row that still names the guest.
 */
let d: RunningDeployment;

beforeAll(async () => {
  d = await startDeployment('guest-end', {
    ESPACE_TIMEOUT_GUEST_GRACE: '2',
    // Long enough after the grace that the timeout sweep, not the retention scrub, ends the account (both can).
    ESPACE_RETENTION_PERIOD: '12',
    ESPACE_RETENTION_SWEEP_INTERVAL: '2',
  });
}, 240_000);

afterAll(async () => {
  await d?.stop();
});

/** Every table of a server's database with a row that contains `text` (any text column), with its count. */
function rowsNaming(role: 'public' | 'police' | 'gendarmerie', text: string): Record<string, number> {
  const db = new DatabaseSync(join(d.topology.servers[role].dataDir, 'homeserver.db'), { readOnly: true });
  try {
    const found: Record<string, number> = {};
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>;
    for (const { name } of tables) {
      const columns = db.prepare(`PRAGMA table_info("${name}")`).all() as Array<{ name: string; type: string }>;
      const textColumns = columns.filter((column) => /TEXT|CHAR|^$/i.test(column.type));
      if (textColumns.length === 0) continue;
      const where = textColumns.map((column) => `instr(CAST("${column.name}" AS TEXT), ?) > 0`).join(' OR ');
      const row = db
        .prepare(`SELECT COUNT(*) AS n FROM "${name}" WHERE ${where}`)
        .get(...textColumns.map(() => text)) as { n: number };
      if (row.n > 0) found[name] = row.n;
    }
    return found;
  } finally {
    db.close();
  }
}

describe('a young person’s guest account in the federated topology', () => {
  it('ends on the public server; once the room is deleted the police server keeps only its audit and stream IDs', async () => {
    const police = await demoLogin(d, 'pn-agent-1');
    const queue = d.result.forces.police.queueRoomId;
    expect(await command(police, queue, { action: 'duty', onDuty: true, capacity: 5 })).toMatchObject({ ok: true });
    const { guest, roomId } = await openAndTriage(d, '92100', 'police');
    expect(await command(police, queue, { action: 'claim', conversation: roomId })).toMatchObject({ ok: true });
    await joinRoom(police, roomId, d.result.servers.public.serverName);
    expect(await command(police, queue, { action: 'close', conversation: roomId, outcome: 'none' })).toMatchObject({
      ok: true,
    });

    // The account ends on the public server: locked, deactivated, its token refused.
    const publicBot = botSession(d, 'public');
    await waitFor(
      'the guest account ended',
      async () => {
        const account = await call<{ deactivated?: boolean; locked?: boolean }>(
          publicBot.baseUrl,
          'GET',
          `/_synapse/admin/v2/users/${encodeURIComponent(guest.userId)}`,
          { token: publicBot.accessToken },
        );
        return account.body.deactivated && account.body.locked ? true : undefined;
      },
      60_000,
    );
    // The account is ended before the ledger records it: wait for the entry rather than read it once.
    await waitFor('the ledger records the account’s end', async () =>
      (await entryOf(d, 'police', roomId))?.guestEndedAt !== undefined ? true : undefined,
    );
    const whoami = await call(guest.baseUrl, 'GET', '/_matrix/client/v3/account/whoami', {
      token: guest.accessToken,
    });
    expect(whoami.status).toBe(401);

    // Then the room goes from every server, and with it what the police server knew of the guest.
    await waitFor('the room deleted on every server', async () =>
      (await known(d, 'public', roomId)) || (await known(d, 'police', roomId)) ? undefined : true,
    );
    const left = { police: rowsNaming('police', guest.userId), gendarmerie: rowsNaming('gendarmerie', guest.userId) };
    process.stderr.write(`[guest-end] rows naming the guest: ${JSON.stringify(left)}\n`);
    // The gendarmerie never served it: nothing. The police server keeps its audit entries (the guest's opaque ID is
    // the actor of the opening, by design, in the hash-chained audit room), Synapse's stream bookkeeping of the
    // purged room's membership (`current_state_delta_stream`: IDs only, which a purge leaves on every server) and
    // its queue of remote profiles to refresh; no membership, profile, device or event of the room.
    expect(left.gendarmerie).toEqual({});
    const allowed = new Set(['event_json', 'current_state_delta_stream', 'user_directory_stale_remote_users']);
    expect(Object.keys(left.police).filter((table) => !allowed.has(table))).toEqual([]);
    const db = new DatabaseSync(join(d.topology.servers.police.dataDir, 'homeserver.db'), { readOnly: true });
    try {
      const events = db.prepare(`SELECT room_id FROM event_json WHERE instr(json, ?) > 0`).all(guest.userId) as Array<{
        room_id: string;
      }>;
      expect(new Set(events.map((event) => event.room_id))).toEqual(
        new Set(events.length ? [d.result.forces.police.auditRoomId] : []),
      );
      const deltas = db
        .prepare(`SELECT DISTINCT room_id FROM current_state_delta_stream WHERE state_key = ?`)
        .all(guest.userId) as Array<{ room_id: string }>;
      expect(deltas.every((delta) => delta.room_id === roomId)).toBe(true);
    } finally {
      db.close();
    }
  }, 240_000);
});
