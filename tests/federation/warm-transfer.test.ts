import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclHost, conversationServerAcl, SERVER_ACL } from '@espace-mineurs/bot/federation';
import { spawnBot } from '../support/bot-process.ts';
import { join as joinRoom, send, texts, waitFor, type ServerSession } from './support.ts';
import {
  command,
  demoLogin,
  entryOf,
  onServer,
  openAndTriage,
  present,
  roomState,
  startDeployment,
  type RunningDeployment,
} from './bot-support.ts';

/**
 * A cross-force warm transfer through the real bot process: a police agent offers the conversation to the
 * gendarmerie and stays with the young person while the offer is pending (the room still federates with the
 * police server); a gendarme accepts, and only then is the room handed to public + gendarmerie, police users out.
 * A declined offer, and one nobody answers, leave the room with the police.
 */
let d: RunningDeployment;

beforeAll(async () => {
  d = await startDeployment('warm');
});

afterAll(async () => {
  await d?.stop();
});

async function received(session: ServerSession, roomId: string, text: string, what: string): Promise<void> {
  await waitFor(what, async () => ((await texts(session, roomId)).includes(text) ? true : undefined));
}

describe('a cross-force warm transfer through the bot in the federated topology', () => {
  it('the police agent stays while the offer is pending; on acceptance the room goes to public + gendarmerie', async () => {
    const servers = d.result.servers;
    const policeQueue = d.result.forces.police.queueRoomId;
    const gendarmerieQueue = d.result.forces.gendarmerie.queueRoomId;
    const [police, gendarme] = await Promise.all([demoLogin(d, 'pn-agent-1'), demoLogin(d, 'gn-agent-1')]);
    for (const [agent, queue] of [
      [police, policeQueue],
      [gendarme, gendarmerieQueue],
    ] as const)
      expect(await command(agent, queue, { action: 'duty', onDuty: true, capacity: 10 })).toMatchObject({ ok: true });

    const { guest, roomId } = await openAndTriage(d, '92100', 'police');
    expect(await command(police, policeQueue, { action: 'claim', conversation: roomId })).toMatchObject({ ok: true });
    await joinRoom(police, roomId, servers.public.serverName);
    expect((await send(police, roomId, 'Police, bonjour.')).status).toBe(200);
    await received(guest, roomId, 'Police, bonjour.', 'the police message on the public server');

    // The command the agents use: a warm transfer to the other force's queue.
    expect(
      await command(police, policeQueue, {
        action: 'transfer',
        conversation: roomId,
        to: { force: 'gendarmerie' },
        mode: 'warm',
      }),
    ).toMatchObject({ ok: true });
    const pending = await entryOf(d, 'police', roomId);
    expect(pending).toMatchObject({ force: 'police', state: 'assigned', assignee: police.userId });
    expect(pending?.pendingTransfer?.to).toEqual({ force: 'gendarmerie' });
    expect(pending?.movedTo).toBeUndefined();

    // While the offer is pending the police agent is still there and the police server still takes part.
    const aclPending = await roomState<{ allow: string[] }>(guest, roomId, SERVER_ACL);
    expect(aclPending.allow.map(aclHost)).toContain(aclHost(servers.police.serverName));
    expect(await present(guest, roomId)).toContain(police.userId);
    expect((await send(police, roomId, 'Je reste avec toi en attendant.')).status).toBe(200);
    await received(guest, roomId, 'Je reste avec toi en attendant.', 'the police message during the offer');
    expect((await send(guest, roomId, 'merci')).status).toBe(200);
    await received(police, roomId, 'merci', 'the young person message on the police server during the offer');

    // A gendarme accepts it (the command behind `!accepter N`) and is invited over federation.
    expect(
      await command(gendarme, gendarmerieQueue, { action: 'transfer_accept', conversation: roomId }),
    ).toMatchObject({ ok: true });
    const accepted = await waitFor('assigned to the gendarme', async () => {
      const entry = await entryOf(d, 'gendarmerie', roomId);
      return entry?.state === 'assigned' && entry.assignee === gendarme.userId ? entry : undefined;
    });
    expect(accepted).toMatchObject({ force: 'gendarmerie', previousForce: 'police' });
    expect(accepted.pendingTransfer).toBeUndefined();
    expect((await entryOf(d, 'police', roomId))?.movedTo).toBe('gendarmerie');

    // Exactly the public server and the gendarmerie's; no police user is left, and the police agent is refused.
    const acl = await roomState<{ allow: string[]; deny: string[] }>(guest, roomId, SERVER_ACL);
    expect(acl).toEqual(conversationServerAcl(servers.public.serverName, servers.gendarmerie.serverName));
    expect(new Set(acl.allow.map(aclHost))).toEqual(
      new Set([aclHost(servers.public.serverName), aclHost(servers.gendarmerie.serverName)]),
    );
    const members = await present(guest, roomId);
    expect(members.filter((userId) => onServer(userId, servers.police.serverName))).toEqual([]);
    expect((await send(police, roomId, 'encore là ?')).status).not.toBe(200);
    expect(await texts(guest, roomId)).not.toContain('encore là ?');

    // The gendarme joins from their server; they and the young person talk both ways over federation.
    await joinRoom(gendarme, roomId, servers.public.serverName);
    expect((await send(gendarme, roomId, 'Gendarmerie, je prends le relais.')).status).toBe(200);
    await received(guest, roomId, 'Gendarmerie, je prends le relais.', 'the gendarme message on the public server');
    expect((await send(guest, roomId, 'd’accord')).status).toBe(200);
    await received(gendarme, roomId, 'd’accord', 'the young person message on the gendarmerie server');
    expect(await texts(police, roomId)).not.toContain('d’accord');
  });

  it('a declined cross-force offer leaves the room with the police: ACL public + police, the agent still there', async () => {
    const servers = d.result.servers;
    const policeQueue = d.result.forces.police.queueRoomId;
    const [police, gendarme] = await Promise.all([demoLogin(d, 'pn-agent-1'), demoLogin(d, 'gn-agent-1')]);
    const { guest, roomId } = await openAndTriage(d, '92100', 'police');
    expect(await command(police, policeQueue, { action: 'claim', conversation: roomId })).toMatchObject({ ok: true });
    await joinRoom(police, roomId, servers.public.serverName);
    const offer = { action: 'transfer', conversation: roomId, to: { force: 'gendarmerie' }, mode: 'warm' };
    expect(await command(police, policeQueue, offer)).toMatchObject({ ok: true });
    expect(
      await command(gendarme, d.result.forces.gendarmerie.queueRoomId, {
        action: 'transfer_decline',
        conversation: roomId,
      }),
    ).toMatchObject({ ok: true });
    const entry = await entryOf(d, 'police', roomId);
    expect(entry).toMatchObject({ force: 'police', state: 'assigned', assignee: police.userId });
    expect(entry?.pendingTransfer).toBeUndefined();
    expect(await entryOf(d, 'gendarmerie', roomId)).toBeUndefined();
    expect(await roomState(guest, roomId, SERVER_ACL)).toEqual(
      conversationServerAcl(servers.public.serverName, servers.police.serverName),
    );
    expect(await present(guest, roomId)).toContain(police.userId);
    expect((await send(police, roomId, 'Je reste ton interlocuteur.')).status).toBe(200);
    await received(guest, roomId, 'Je reste ton interlocuteur.', 'the police message after the decline');
  });

  it('an offer nobody answers is withdrawn: the room stays with the police, ACL public + police', async () => {
    // The same bot restarted with a short offer timeout (seconds) and a fast sweep, on the same servers.
    await d.bot.stop();
    d.bot = await spawnBot({
      homeserverUrl: d.topology.servers.public.baseUrl,
      stateDir: d.stateDir,
      env: { ESPACE_TIMEOUT_WARM_TRANSFER: '3', ESPACE_TIMEOUT_SWEEP_INTERVAL: '1' },
    });
    const servers = d.result.servers;
    const policeQueue = d.result.forces.police.queueRoomId;
    const police = await demoLogin(d, 'pn-agent-2');
    expect(await command(police, policeQueue, { action: 'duty', onDuty: true, capacity: 10 })).toMatchObject({
      ok: true,
    });
    const { guest, roomId } = await openAndTriage(d, '92100', 'police');
    expect(await command(police, policeQueue, { action: 'claim', conversation: roomId })).toMatchObject({ ok: true });
    await joinRoom(police, roomId, servers.public.serverName);
    const offer = { action: 'transfer', conversation: roomId, to: { force: 'gendarmerie' }, mode: 'warm' };
    expect(await command(police, policeQueue, offer)).toMatchObject({ ok: true });
    const withdrawn = await waitFor('the unanswered offer to be withdrawn', async () => {
      const entry = await entryOf(d, 'police', roomId);
      return entry && !entry.pendingTransfer ? entry : undefined;
    });
    expect(withdrawn).toMatchObject({ force: 'police', state: 'assigned', assignee: police.userId });
    expect(withdrawn.movedTo).toBeUndefined();
    expect(await entryOf(d, 'gendarmerie', roomId)).toBeUndefined();
    expect(await roomState(guest, roomId, SERVER_ACL)).toEqual(
      conversationServerAcl(servers.public.serverName, servers.police.serverName),
    );
    expect(await present(guest, roomId)).toContain(police.userId);
    expect((await send(police, roomId, 'Toujours là.')).status).toBe(200);
    await received(guest, roomId, 'Toujours là.', 'the police message after the offer lapsed');
  });
});
