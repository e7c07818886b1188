import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_ACL } from '@espace-mineurs/bot/federation';
import { EventType, type PublicStatus } from '@espace-mineurs/protocol';
import { spawnBot } from '../support/bot-process.ts';
import { freshAddress } from '../support/conversation.ts';
import { call, join as joinRoom, send, texts, waitFor, type ServerSession } from './support.ts';
import {
  command,
  demoLogin,
  entryOf,
  known,
  startDeployment,
  timeline,
  type RunningDeployment,
} from './bot-support.ts';

/**
 * The conversation bot itself in the federated topology, as a real process: one client and one sync loop per
 * server. A young person opens on the public server, is routed by postal code to the police, two police agents
 * on the police server claim at once (one wins), the winner joins over federation, messages go both ways, the
 * agent closes. Queue entries and audit live on the police server only; the gendarmerie server never hears of
 * the room.
 */
let d: RunningDeployment;
let closedConversation: { guest: ServerSession; roomId: string } | undefined;

beforeAll(async () => {
  d = await startDeployment('bot');
});

afterAll(async () => {
  await d?.stop();
});

async function botApi<T>(method: string, path: string, token: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${d.bot.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': freshAddress() },
  });
  return { status: response.status, body: (await response.json()) as T };
}

describe('the conversation bot in the federated topology', () => {
  it('triage, routed to the police by postal code, one winner of two claims over federation, messages both ways, close', async () => {
    const [police1, police2] = await Promise.all([demoLogin(d, 'pn-agent-1'), demoLogin(d, 'pn-agent-2')]);
    const queue = d.result.forces.police.queueRoomId;
    for (const agent of [police1, police2])
      expect(await command(agent, queue, { action: 'duty', onDuty: true, capacity: 10 })).toMatchObject({ ok: true });

    // The young person: a guest of the public server, which is the only one the site talks to.
    const publicUrl = d.topology.servers.public.baseUrl;
    const registered = await call<{ user_id: string; access_token: string }>(
      publicUrl,
      'POST',
      '/_matrix/client/v3/register?kind=guest',
      { body: {} },
    );
    expect(registered.status).toBe(200);
    const guest: ServerSession = {
      baseUrl: publicUrl,
      userId: registered.body.user_id,
      accessToken: registered.body.access_token,
    };
    const opened = await fetch(`${d.bot.url}/api/conversations`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${guest.accessToken}`,
        'content-type': 'application/json',
        'x-forwarded-for': freshAddress(),
      },
      body: '{}',
    });
    expect(opened.status).toBe(201);
    const { roomId } = (await opened.json()) as { roomId: string };
    expect(roomId.endsWith(`:${d.result.servers.public.serverName}`)).toBe(true);
    await joinRoom(guest, roomId, d.result.servers.public.serverName);

    // Before routing, the room federates but its ACL admits the public server alone.
    const create = await call<{ 'm.federate'?: boolean }>(
      publicUrl,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.create/`,
      { token: guest.accessToken },
    );
    expect(create.body['m.federate']).toBe(true);

    const publicBot = d.result.servers.public.botUserId;
    const botCount = async () =>
      (await timeline(guest, roomId)).filter((event) => event.sender === publicBot && event.type === 'm.room.message')
        .length;
    await waitFor('the first question', async () => ((await botCount()) > 0 ? true : undefined));
    const beforeRouting = await call<{ allow: string[] }>(
      publicUrl,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${SERVER_ACL}/`,
      { token: guest.accessToken },
    );
    expect(beforeRouting.body.allow).not.toContain(d.result.servers.police.serverName);
    for (const answer of ['1', '1', '6', '2', '4', '92100']) {
      const before = await botCount();
      expect((await send(guest, roomId, answer)).status).toBe(200);
      await waitFor(`the bot's reply to ${answer}`, async () => ((await botCount()) > before ? true : undefined));
    }

    // Routed by postal code (92: the police), the entry on the police server, the ACL now public + police.
    const queued = await waitFor('queued for the police', async () => {
      const entry = await entryOf(d, 'police', roomId);
      return entry?.state === 'queued' ? entry : undefined;
    });
    expect(queued).toMatchObject({ force: 'police', triage: { postalCode: '92100' } });
    const acl = await call<{ allow: string[] }>(
      publicUrl,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${SERVER_ACL}/`,
      { token: guest.accessToken },
    );
    expect(acl.body.allow).toEqual(
      expect.arrayContaining([d.result.servers.public.serverName, d.result.servers.police.serverName]),
    );
    expect(acl.body.allow).not.toContain(d.result.servers.gendarmerie.serverName);

    // Two police agents claim at once, their commands arriving in the police queue room: exactly one wins.
    const claims = await Promise.all([
      command(police1, queue, { action: 'claim', conversation: roomId }),
      command(police2, queue, { action: 'claim', conversation: roomId }),
    ]);
    expect(claims.filter((claim) => claim.ok)).toHaveLength(1);
    expect(claims.find((claim) => !claim.ok)?.code).toBe('ALREADY_CLAIMED');
    const winner = claims[0]!.ok ? police1 : police2;
    expect((await entryOf(d, 'police', roomId))?.assignee).toBe(winner.userId);

    // The public bot invited the winner over federation; they join from their own server.
    await joinRoom(winner, roomId, d.result.servers.public.serverName);
    await waitFor('agentJoined in the status', async () => {
      const status = await botApi<{ status: PublicStatus }>('GET', '/api/conversations/current', guest.accessToken);
      return status.body.status?.agentJoined ? true : undefined;
    });
    expect((await send(winner, roomId, 'Bonjour, je suis là pour toi.')).status).toBe(200);
    await waitFor('the agent message on the public server', async () =>
      (await texts(guest, roomId)).includes('Bonjour, je suis là pour toi.') ? true : undefined,
    );
    expect((await send(guest, roomId, 'merci')).status).toBe(200);
    await waitFor('the young person message on the police server', async () =>
      (await texts(winner, roomId)).includes('merci') ? true : undefined,
    );
    await waitFor('the first agent message recorded', async () =>
      (await entryOf(d, 'police', roomId))?.firstAgentMessageAt !== undefined ? true : undefined,
    );

    expect(await command(winner, queue, { action: 'close', conversation: roomId, outcome: 'none' })).toMatchObject({
      ok: true,
    });
    expect(await entryOf(d, 'police', roomId)).toMatchObject({ state: 'closed', outcome: 'none' });
    await waitFor('the closed status', async () => {
      const status = await botApi<{ status: PublicStatus }>('GET', '/api/conversations/current', guest.accessToken);
      return status.body.status?.state === 'closed' ? true : undefined;
    });

    // The claim and the close are audited in the police audit room, on the police server, by the police bot.
    const audit = await timeline(
      {
        baseUrl: d.topology.servers.police.baseUrl,
        userId: d.result.bots.police.userId,
        accessToken: d.result.bots.police.accessToken,
      },
      d.result.forces.police.auditRoomId,
    );
    const actions = audit.filter((event) => event.type === EventType.Audit && event.content.conversation === roomId);
    expect(actions.map((event) => event.content.action)).toEqual(expect.arrayContaining(['claim', 'close']));
    expect(new Set(actions.map((event) => event.sender))).toEqual(new Set([d.result.bots.police.userId]));
    // Internal rooms never left the police server; the gendarmerie server never heard of the young person's room.
    expect(await known(d, 'public', queue)).toBe(false);
    expect(await known(d, 'gendarmerie', roomId)).toBe(false);
    closedConversation = { guest, roomId };
  });

  it('killed and started again, rebuilds its state from the three servers', async () => {
    if (!closedConversation) throw new Error('needs the conversation of the previous test');
    await d.bot.kill();
    d.bot = await spawnBot({ homeserverUrl: d.topology.servers.public.baseUrl, stateDir: d.stateDir });
    const ready = await waitFor('the restarted bot ready', async () => {
      const response = await fetch(`${d.bot.url}/readyz`);
      return response.status === 200 ? ((await response.json()) as { ready: boolean }) : undefined;
    });
    expect(ready.ready).toBe(true);
    const status = await botApi<{ status: PublicStatus }>(
      'GET',
      '/api/conversations/current',
      closedConversation.guest.accessToken,
    );
    expect(status.status).toBe(200);
    expect(status.body.status).toMatchObject({ state: 'closed' });
  });
});
