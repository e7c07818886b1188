import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclHost, conversationServerAcl, SERVER_ACL } from '@espace-mineurs/bot/federation';
import { join as joinRoom, send, texts, waitFor, type ServerSession } from './support.ts';
import {
  botSession,
  command,
  demoLogin,
  entryOf,
  known,
  onServer,
  openAndTriage,
  present,
  roomState,
  timeline,
  rowsInDatabase,
  startDeployment,
  type RunningDeployment,
} from './bot-support.ts';

/**
 * A cross-force cold transfer through the real bot process, then the retention deletion of that conversation:
 * routed to the police, claimed there, moved by the police agent's command to the gendarmerie (ACL swapped to
 * public + gendarmerie, police users out), claimed by a gendarme over federation; closed, then deleted by the
 * retention sweep on the public server and on both force servers that held a copy.
 */
const RETENTION_SECONDS = 8;
let d: RunningDeployment;

beforeAll(async () => {
  d = await startDeployment('transfer', {
    ESPACE_RETENTION_PERIOD: String(RETENTION_SECONDS),
    ESPACE_RETENTION_SWEEP_INTERVAL: '2',
  });
});

afterAll(async () => {
  await d?.stop();
});

let transferred: { guest: ServerSession; roomId: string; gendarme: ServerSession } | undefined;

describe('a cross-force transfer through the bot in the federated topology', () => {
  it("a police agent's cold transfer to the gendarmerie: ACL public + gendarmerie, police out, claimed over federation", async () => {
    const servers = d.result.servers;
    const policeQueue = d.result.forces.police.queueRoomId;
    const gendarmerieQueue = d.result.forces.gendarmerie.queueRoomId;
    const [police, gendarme] = await Promise.all([demoLogin(d, 'pn-agent-1'), demoLogin(d, 'gn-agent-1')]);
    expect(await command(police, policeQueue, { action: 'duty', onDuty: true, capacity: 10 })).toMatchObject({
      ok: true,
    });
    expect(await command(gendarme, gendarmerieQueue, { action: 'duty', onDuty: true, capacity: 10 })).toMatchObject({
      ok: true,
    });

    const { guest, roomId } = await openAndTriage(d, '92100', 'police');
    expect(await command(police, policeQueue, { action: 'claim', conversation: roomId })).toMatchObject({ ok: true });
    await joinRoom(police, roomId, servers.public.serverName);
    expect((await send(police, roomId, 'Police, bonjour.')).status).toBe(200);
    await waitFor('the police message on the public server', async () =>
      (await texts(guest, roomId)).includes('Police, bonjour.') ? true : undefined,
    );

    // The command the agents use: a cold transfer to the other force's queue.
    expect(
      await command(police, policeQueue, {
        action: 'transfer',
        conversation: roomId,
        to: { force: 'gendarmerie' },
        mode: 'cold',
      }),
    ).toMatchObject({ ok: true });

    // The gendarmerie queue, on the gendarmerie server, lists it; the police entry says where it went.
    const moved = await waitFor('queued with the gendarmerie', async () => {
      const entry = await entryOf(d, 'gendarmerie', roomId);
      return entry?.state === 'queued' ? entry : undefined;
    });
    expect(moved).toMatchObject({ force: 'gendarmerie', previousForce: 'police' });
    expect((await entryOf(d, 'police', roomId))?.movedTo).toBe('gendarmerie');

    // The ACL admits exactly the public server and the gendarmerie's: the police server is refused from now on.
    const acl = await roomState<{ allow: string[]; deny: string[] }>(guest, roomId, SERVER_ACL);
    expect(acl).toEqual(conversationServerAcl(servers.public.serverName, servers.gendarmerie.serverName));
    expect(new Set(acl.allow.map(aclHost))).toEqual(
      new Set([aclHost(servers.public.serverName), aclHost(servers.gendarmerie.serverName)]),
    );
    // No police user is left in the room (joined or invited), and the police agent can no longer write in it.
    const members = await present(guest, roomId);
    expect(members.filter((userId) => onServer(userId, servers.police.serverName))).toEqual([]);
    expect(members).not.toContain(police.userId);
    expect((await send(police, roomId, 'encore là ?')).status).not.toBe(200);

    // A gendarme claims it from the gendarmerie queue, is invited over federation and joins from their server.
    expect(await command(gendarme, gendarmerieQueue, { action: 'claim', conversation: roomId })).toMatchObject({
      ok: true,
    });
    expect((await entryOf(d, 'gendarmerie', roomId))?.assignee).toBe(gendarme.userId);
    await joinRoom(gendarme, roomId, servers.public.serverName);
    expect((await send(gendarme, roomId, 'Gendarmerie, je prends le relais.')).status).toBe(200);
    await waitFor('the gendarme message on the public server', async () =>
      (await texts(guest, roomId)).includes('Gendarmerie, je prends le relais.') ? true : undefined,
    );
    expect((await send(guest, roomId, 'd’accord')).status).toBe(200);
    await waitFor('the young person message on the gendarmerie server', async () =>
      (await texts(gendarme, roomId)).includes('d’accord') ? true : undefined,
    );
    // The police agent's server never receives what was said after the move.
    expect(await texts(police, roomId)).not.toContain('d’accord');
    transferred = { guest, roomId, gendarme };
  });

  it('retention deletes the closed conversation on the public server and on both force servers that held it', async () => {
    if (!transferred) throw new Error('needs the conversation of the previous test');
    const { roomId, gendarme } = transferred;
    expect(
      await command(gendarme, d.result.forces.gendarmerie.queueRoomId, {
        action: 'close',
        conversation: roomId,
        outcome: 'none',
      }),
    ).toMatchObject({ ok: true });
    // Each server held a copy (the police server's from before the move), read from its own database.
    for (const role of ['public', 'police', 'gendarmerie'] as const)
      expect(rowsInDatabase(d, role, roomId)).toBeGreaterThan(0);
    expect(await known(d, 'public', roomId)).toBe(true);

    await waitFor(
      'the retention sweep purged the room on every server',
      async () => {
        for (const role of ['public', 'police', 'gendarmerie'] as const)
          if (await known(d, role, roomId)) return undefined;
        return true;
      },
      (RETENTION_SECONDS + 60) * 1000,
    );
    for (const role of ['public', 'police', 'gendarmerie'] as const) {
      expect(await known(d, role, roomId)).toBe(false);
      expect(rowsInDatabase(d, role, roomId)).toBe(0);
    }
    // The deletion is audited by the force that held the conversation last, on its own server, after the purge.
    await waitFor('the deletion audited with the gendarmerie', async () =>
      (await timeline(botSession(d, 'gendarmerie'), d.result.forces.gendarmerie.auditRoomId)).some(
        (event) => event.content.conversation === roomId && event.content.action === 'delete',
      )
        ? true
        : undefined,
    );
  }, 180_000);
});
