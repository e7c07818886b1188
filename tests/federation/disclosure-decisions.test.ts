import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, send, texts, waitFor, type ServerSession } from './support.ts';
import {
  botSession,
  command,
  demoLogin,
  disclosureRequests,
  entryOf,
  eventsContaining,
  known,
  openAndTriage,
  startDeployment,
  timeline,
  type Role,
  type RunningDeployment,
} from './bot-support.ts';

/**
 * Grave danger requests that end without a disclosure, in the federated topology, through the real bot process
 * and the Element text commands: one refused by a police supervisor (`!refuser-levee`), one withdrawn by its
 * requester (`!retirer-levee`). No disclosure room is made on any server; the request, the decision and their
 * audit stay on the police server; the public and gendarmerie servers hold none of it.
 */
const ROLES: readonly Role[] = ['public', 'police', 'gendarmerie'];
const DISCLOSURE_ROOM_NAME = "Levée d'anonymat";
const HELP_IS_COMING = 'Nous sommes très inquiets pour ta sécurité';
let d: RunningDeployment;
let agent: ServerSession;
let colleague: ServerSession;
let supervisor: ServerSession;

beforeAll(async () => {
  d = await startDeployment('disclosure-decisions');
  [agent, colleague, supervisor] = await Promise.all([
    demoLogin(d, 'pn-agent-1'),
    demoLogin(d, 'pn-agent-2'),
    demoLogin(d, 'pn-superviseur-1'),
  ]);
  expect(
    await command(agent, d.result.forces.police.queueRoomId, { action: 'duty', onDuty: true, capacity: 10 }),
  ).toMatchObject({ ok: true });
});

afterAll(async () => {
  await d?.stop();
});

/** A conversation routed to the police and claimed by the agent; its ticket is what text commands name. */
async function claimedPoliceConversation(): Promise<{ guest: ServerSession; roomId: string; ticket: number }> {
  const { guest, roomId } = await openAndTriage(d, '92100', 'police');
  expect(
    await command(agent, d.result.forces.police.queueRoomId, { action: 'claim', conversation: roomId }),
  ).toMatchObject({ ok: true });
  return { guest, roomId, ticket: (await entryOf(d, 'police', roomId))!.ticket };
}

/** The request of the conversation once it has `status`, read on the police server. */
function requestWith(roomId: string, status: string): Promise<Record<string, unknown>> {
  return waitFor(`a ${status} request`, async () =>
    (await disclosureRequests(d, supervisor, 'police', roomId)).find((request) => request.status === status),
  );
}

/** Every room a server holds, by its admin API (through the bot's admin account there). */
async function roomsOn(role: Role): Promise<Array<{ room_id: string; name?: string | null }>> {
  const answer = await call<{ rooms: Array<{ room_id: string; name?: string | null }> }>(
    d.topology.servers[role].baseUrl,
    'GET',
    '/_synapse/admin/v1/rooms?limit=1000',
    { token: d.result.bots[role].accessToken },
  );
  expect(answer.status).toBe(200);
  return answer.body.rooms;
}

/** The rooms of each force server: the test checks no decision made one there (no room pool on those servers). */
async function forceRooms(): Promise<Record<'police' | 'gendarmerie', string[]>> {
  const ids = async (role: Role) => (await roomsOn(role)).map((room) => room.room_id).sort();
  return { police: await ids('police'), gendarmerie: await ids('gendarmerie') };
}

/** The police audit room's actions about the request, each written by the bot's police account. */
async function auditedOnPolice(roomId: string, requestId: string): Promise<unknown[]> {
  const police = botSession(d, 'police');
  return (await timeline(police, d.result.forces.police.auditRoomId))
    .filter(
      (event) =>
        event.sender === police.userId &&
        event.content.conversation === roomId &&
        (event.content.details as Record<string, unknown> | undefined)?.request === requestId,
    )
    .map((event) => event.content.action);
}

/** What every decision without a disclosure leaves: no disclosure room anywhere, nothing said to the young person. */
async function expectNoDisclosure(
  guest: ServerSession,
  roomId: string,
  before: Awaited<ReturnType<typeof forceRooms>>,
): Promise<void> {
  for (const role of ROLES)
    expect((await roomsOn(role)).filter((room) => room.name === DISCLOSURE_ROOM_NAME)).toEqual([]);
  expect(await forceRooms()).toEqual(before);
  expect((await texts(guest, roomId)).some((body) => body.startsWith(HELP_IS_COMING))).toBe(false);
}

/**
 * What a request ended without a disclosure (refused or withdrawn) leaves: the notice in the police supervisors
 * room, an approval afterwards refused as already decided, no disclosure anywhere, and the request and its end
 * audited on the police server, without an approval. Returns the audited actions.
 */
async function endedWithoutDisclosure(ended: {
  guest: ServerSession;
  roomId: string;
  id: string;
  before: Awaited<ReturnType<typeof forceRooms>>;
  notice: 'refusée' | 'retirée';
  audit: 'disclosure_refuse' | 'disclosure_withdraw';
}): Promise<unknown[]> {
  const { guest, roomId, id, before } = ended;
  await waitFor(`the notice « ${ended.notice} » in the police supervisors room`, async () =>
    (await texts(supervisor, d.result.forces.police.supervisorsRoomId)).some((body) =>
      body.startsWith(`Demande de levée d'anonymat ${id} ${ended.notice}`),
    )
      ? true
      : undefined,
  );
  // Decided once: an approval afterwards is refused and discloses nothing.
  expect(
    await command(supervisor, d.result.forces.police.queueRoomId, {
      action: 'disclosure_decision',
      conversation: roomId,
      disclosure: id,
      decision: 'approve',
    }),
  ).toMatchObject({ ok: false, code: 'ALREADY_DECIDED' });

  await expectNoDisclosure(guest, roomId, before);
  const actions = await waitFor(`the request and ${ended.audit} audited on the police server`, async () => {
    const found = await auditedOnPolice(roomId, id);
    return found.includes(ended.audit) ? found : undefined;
  });
  expect(actions).toContain('disclosure_request');
  expect(actions).not.toContain('disclosure_approve');
  return actions;
}

/** Where the request's traces are, read from each server's own database: the police server only. */
function expectOnPoliceOnly(...traces: string[]): void {
  for (const trace of traces) {
    expect(eventsContaining(d, 'police', trace)).toBeGreaterThan(0);
    for (const role of ['public', 'gendarmerie'] as const) expect(eventsContaining(d, role, trace)).toBe(0);
  }
}

describe('grave danger requests refused or withdrawn, in the federated topology', () => {
  it('!refuser-levee by a police supervisor: no disclosure room, the refusal on the police server only', async () => {
    const { guest, roomId, ticket } = await claimedPoliceConversation();
    const queue = d.result.forces.police.queueRoomId;
    const before = await forceRooms();
    // Markers in the reason and in the refusal's motive: where they are stored is where the request is.
    const reasonMarker = `menace-${randomUUID()}`;
    const refusalMarker = `motif-${randomUUID()}`;
    expect((await send(agent, queue, `!levee ${ticket} il dit être menacé ce soir (${reasonMarker})`)).status).toBe(
      200,
    );
    const pending = await requestWith(roomId, 'pending');
    expect(pending).toMatchObject({ requester: agent.userId, force: 'police' });
    const id = String(pending.id);

    expect(
      (await send(supervisor, queue, `!refuser-levee ${ticket} ${id} pas assez d'éléments (${refusalMarker})`)).status,
    ).toBe(200);
    const refused = await requestWith(roomId, 'refused');
    expect(refused).toMatchObject({ id, decidedBy: supervisor.userId });
    expect(String(refused.refusalReason)).toContain(refusalMarker);
    expect(refused.disclosureRoom).toBeUndefined();
    const actions = await endedWithoutDisclosure({
      guest,
      roomId,
      id,
      before,
      notice: 'refusée',
      audit: 'disclosure_refuse',
    });
    expect(actions).not.toContain('disclosure');
    expectOnPoliceOnly(reasonMarker, refusalMarker, id);
    for (const role of ['public', 'gendarmerie'] as const)
      expect(await known(d, role, d.result.forces.police.supervisorsRoomId)).toBe(false);
  });

  it('!retirer-levee by its requester: only they may withdraw, then nobody can approve; nothing leaves the police server', async () => {
    const { guest, roomId, ticket } = await claimedPoliceConversation();
    const queue = d.result.forces.police.queueRoomId;
    const before = await forceRooms();
    const reasonMarker = `menace-${randomUUID()}`;
    // A colleague who does not hold the conversation asks (any agent of the force may).
    expect(
      await command(colleague, queue, {
        action: 'disclosure_request',
        conversation: roomId,
        reason: `Il parle de se faire du mal ce soir (${reasonMarker}).`,
      }),
    ).toMatchObject({ ok: true });
    const pending = await requestWith(roomId, 'pending');
    expect(pending).toMatchObject({ requester: colleague.userId, force: 'police' });
    const id = String(pending.id);
    // Nobody but the requester may withdraw it, not even a supervisor or the conversation's agent.
    for (const other of [supervisor, agent])
      expect(
        await command(other, queue, { action: 'disclosure_withdraw', conversation: roomId, disclosure: id }),
      ).toMatchObject({ ok: false, code: 'NOT_REQUESTER' });

    expect((await send(colleague, queue, `!retirer-levee ${ticket} ${id}`)).status).toBe(200);
    const withdrawn = await requestWith(roomId, 'withdrawn');
    expect(withdrawn).toMatchObject({ id, decidedBy: colleague.userId });
    expect(withdrawn.disclosureRoom).toBeUndefined();
    await endedWithoutDisclosure({
      guest,
      roomId,
      id,
      before,
      notice: 'retirée',
      audit: 'disclosure_withdraw',
    });
    expectOnPoliceOnly(reasonMarker, id);
  });
});
