import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclHost, conversationServerAcl, SERVER_ACL } from '@espace-mineurs/bot/federation';
import { join as joinRoom, send, texts, waitFor } from './support.ts';
import {
  botSession,
  command,
  demoLogin,
  entryOf,
  onServer,
  openAndTriage,
  present,
  roomState,
  rowsInDatabase,
  startDeployment,
  timeline,
  type RunningDeployment,
} from './bot-support.ts';

/**
 * Overflow across forces through the real bot process: a conversation routed to the police that no police agent
 * claims within the overflow limit moves, once, to the gendarmerie, as on one server, and only when a gendarme is
 * on duty (`shouldOverflow`: moving it to an empty room helps nobody). In this topology the move also hands the
 * young person's room to the gendarmerie server (ACL exactly public + gendarmerie); the police server, whose users
 * never joined, never holds a copy of it.
 */
const OVERFLOW_SECONDS = 4;
let d: RunningDeployment;

beforeAll(async () => {
  d = await startDeployment('overflow', {
    ESPACE_TIMEOUT_OVERFLOW: String(OVERFLOW_SECONDS),
    ESPACE_TIMEOUT_SWEEP_INTERVAL: '1',
  });
});

afterAll(async () => {
  await d?.stop();
});

/** Waits until `seconds` past the bot's `since` (same machine clock), so several sweeps have run past the limit. */
async function past(since: number | undefined, seconds: number): Promise<void> {
  if (since === undefined) throw new Error('a queued entry without queuedAt');
  const left = since + seconds * 1000 - Date.now();
  if (left > 0) await sleep(left);
}

describe('overflow across forces through the bot in the federated topology', () => {
  it('an unclaimed police conversation moves to the gendarmerie once a gendarme is on duty: ACL, queues, claim over federation', async () => {
    const servers = d.result.servers;
    const policeQueue = d.result.forces.police.queueRoomId;
    const gendarmerieQueue = d.result.forces.gendarmerie.queueRoomId;
    const [police, gendarme] = await Promise.all([demoLogin(d, 'pn-agent-1'), demoLogin(d, 'gn-agent-1')]);
    // A police agent is on duty but claims nothing; nobody is on duty at the gendarmerie yet.
    expect(await command(police, policeQueue, { action: 'duty', onDuty: true, capacity: 10 })).toMatchObject({
      ok: true,
    });

    const { guest, roomId } = await openAndTriage(d, '92100', 'police');
    const queued = (await entryOf(d, 'police', roomId))!;

    // Past the limit, with nobody on duty at the gendarmerie, it stays with the police.
    await past(queued.queuedAt, OVERFLOW_SECONDS + 3);
    expect(await entryOf(d, 'police', roomId)).toMatchObject({ force: 'police', state: 'queued' });
    expect((await entryOf(d, 'police', roomId))?.movedTo).toBeUndefined();
    expect(await entryOf(d, 'gendarmerie', roomId)).toBeUndefined();
    expect(await roomState(guest, roomId, SERVER_ACL)).toEqual(
      conversationServerAcl(servers.public.serverName, servers.police.serverName),
    );

    // A gendarme goes on duty: the next sweep moves it to the gendarmerie queue, on the gendarmerie server.
    expect(await command(gendarme, gendarmerieQueue, { action: 'duty', onDuty: true, capacity: 10 })).toMatchObject({
      ok: true,
    });
    const moved = await waitFor('overflowed to the gendarmerie', async () => {
      const entry = await entryOf(d, 'gendarmerie', roomId);
      return entry?.state === 'queued' ? entry : undefined;
    });
    expect(moved).toMatchObject({ force: 'gendarmerie', previousForce: 'police' });
    expect(moved.assignee).toBeUndefined();
    // The police queue keeps what overflow leaves on one server: its entry, saying where the conversation went.
    expect(await entryOf(d, 'police', roomId)).toMatchObject({
      force: 'police',
      state: 'queued',
      movedTo: 'gendarmerie',
    });

    // The room now admits exactly the public server and the gendarmerie's.
    const acl = await roomState<{ allow: string[]; deny: string[] }>(guest, roomId, SERVER_ACL);
    expect(acl).toEqual(conversationServerAcl(servers.public.serverName, servers.gendarmerie.serverName));
    expect(new Set(acl.allow.map(aclHost))).toEqual(
      new Set([aclHost(servers.public.serverName), aclHost(servers.gendarmerie.serverName)]),
    );
    expect((await present(guest, roomId)).filter((userId) => onServer(userId, servers.police.serverName))).toEqual([]);
    // Nobody of the police was ever invited: the police server never received a copy of the room.
    expect(rowsInDatabase(d, 'police', roomId)).toBe(0);

    // Each force is told in its own queue room and audits the move in its own audit room, on its own server.
    await waitFor('the overflow notice in the police queue', async () =>
      (await texts(police, policeQueue)).some((body) => body.includes(`n°${queued.ticket} confiée à l'autre force`))
        ? true
        : undefined,
    );
    await waitFor('the overflow announcement in the gendarmerie queue', async () =>
      (await texts(gendarme, gendarmerieQueue)).some((body) => body.startsWith('Débordement depuis la police'))
        ? true
        : undefined,
    );
    for (const force of ['police', 'gendarmerie'] as const) {
      const bot = botSession(d, force);
      await waitFor(`the overflow audited on the ${force} server`, async () =>
        (await timeline(bot, d.result.forces[force].auditRoomId)).some(
          (event) =>
            event.sender === bot.userId && event.content.conversation === roomId && event.content.action === 'overflow',
        )
          ? true
          : undefined,
      );
    }

    // Once: past the limit again, with a police agent on duty, it does not go back to the police.
    await past(moved.queuedAt, OVERFLOW_SECONDS + 3);
    expect(await entryOf(d, 'gendarmerie', roomId)).toMatchObject({ force: 'gendarmerie', state: 'queued' });
    expect((await entryOf(d, 'gendarmerie', roomId))?.movedTo).toBeUndefined();
    expect(await roomState(guest, roomId, SERVER_ACL)).toEqual(
      conversationServerAcl(servers.public.serverName, servers.gendarmerie.serverName),
    );

    // The police agent can no longer take it; the gendarme claims it over federation and joins from their server.
    expect(await command(police, policeQueue, { action: 'claim', conversation: roomId })).toMatchObject({ ok: false });
    expect(await command(gendarme, gendarmerieQueue, { action: 'claim', conversation: roomId })).toMatchObject({
      ok: true,
    });
    expect(await entryOf(d, 'gendarmerie', roomId)).toMatchObject({ state: 'assigned', assignee: gendarme.userId });
    await joinRoom(gendarme, roomId, servers.public.serverName);
    expect((await send(gendarme, roomId, 'Gendarmerie, bonjour.')).status).toBe(200);
    await waitFor('the gendarme message on the public server', async () =>
      (await texts(guest, roomId)).includes('Gendarmerie, bonjour.') ? true : undefined,
    );
    expect((await send(guest, roomId, 'bonjour')).status).toBe(200);
    await waitFor('the young person message on the gendarmerie server', async () =>
      (await texts(gendarme, roomId)).includes('bonjour') ? true : undefined,
    );
    const members = await present(guest, roomId);
    expect(members).toContain(gendarme.userId);
    expect(members.filter((userId) => onServer(userId, servers.police.serverName))).toEqual([]);
    expect(rowsInDatabase(d, 'police', roomId)).toBe(0);
  });
});
