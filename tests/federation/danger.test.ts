import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, waitFor, type ServerSession } from './support.ts';
import {
  botSession,
  command,
  demoLogin,
  disclosureRequests,
  eventsContaining,
  known,
  openAndTriage,
  roomState,
  timeline,
  startDeployment,
  type RunningDeployment,
} from './bot-support.ts';

/**
 * Grave danger by command in the federated topology, through the real bot process: a police agent asks, a police
 * supervisor approves, in the police queue room. The request and the decision stay on the police server; the
 * disclosure (what the public server knows of the guest, and the triage) lands in a disclosure room of the police
 * server only, which never federates; the public server holds none of it, only the "help is coming" message.
 */
let d: RunningDeployment;

beforeAll(async () => {
  d = await startDeployment('danger');
});

afterAll(async () => {
  await d?.stop();
});

interface StateEvent {
  type: string;
  state_key: string;
  content: Record<string, unknown>;
}

const requestsFor = (supervisor: ServerSession, roomId: string) => disclosureRequests(d, supervisor, 'police', roomId);

describe('grave danger by command in the federated topology', () => {
  it('request and decision on the police server, disclosure in a police room only, nothing of it on the public server', async () => {
    const [agent, colleague, supervisor] = await Promise.all([
      demoLogin(d, 'pn-agent-1'),
      demoLogin(d, 'pn-agent-2'),
      demoLogin(d, 'pn-superviseur-1'),
    ]);
    const queue = d.result.forces.police.queueRoomId;
    expect(await command(agent, queue, { action: 'duty', onDuty: true, capacity: 10 })).toMatchObject({ ok: true });
    const { guest, roomId } = await openAndTriage(d, '92100', 'police');
    expect(await command(agent, queue, { action: 'claim', conversation: roomId })).toMatchObject({ ok: true });

    // A marker in the reason: where it is stored is where the request is.
    const marker = `menace-${randomUUID()}`;
    expect(
      await command(colleague, queue, {
        action: 'disclosure_request',
        conversation: roomId,
        reason: `Il dit être menacé ce soir devant chez lui (${marker}).`,
      }),
    ).toMatchObject({ ok: true });
    const [pending] = await waitFor('the published request', async () => {
      const found = await requestsFor(supervisor, roomId);
      return found.length ? found : undefined;
    });
    expect(pending).toMatchObject({ status: 'pending', requester: colleague.userId, force: 'police' });
    const id = String(pending!.id);

    expect(
      await command(supervisor, queue, {
        action: 'disclosure_decision',
        conversation: roomId,
        disclosure: id,
        decision: 'approve',
      }),
    ).toMatchObject({ ok: true });
    const approved = (await requestsFor(supervisor, roomId))[0]!;
    expect(approved).toMatchObject({ status: 'approved', decidedBy: supervisor.userId });

    // The disclosure room: created by the police bot on the police server, never federating, the two staff only.
    const disclosureRoom = String(approved.disclosureRoom);
    expect(disclosureRoom.endsWith(`:${d.result.servers.police.serverName}`)).toBe(true);
    const police = botSession(d, 'police');
    expect(await roomState<{ 'm.federate'?: boolean }>(police, disclosureRoom, 'm.room.create')).toMatchObject({
      'm.federate': false,
    });
    const members = await call<{ chunk: StateEvent[] }>(
      police.baseUrl,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(disclosureRoom)}/members`,
      { token: police.accessToken },
    );
    expect(
      members.body.chunk
        .filter((event) => ['invite', 'join'].includes(String(event.content.membership)))
        .map((event) => event.state_key)
        .sort(),
    ).toEqual([police.userId, colleague.userId, supervisor.userId].sort());
    const disclosed = await timeline(police, disclosureRoom);
    expect(disclosed.some((event) => String(event.content.body ?? '').includes('Code postal indiqué : 92100'))).toBe(
      true,
    );

    // The young person is told help is coming, in their room, on the public server.
    await waitFor('the help-is-coming message', async () =>
      (await timeline(guest, roomId)).some((event) =>
        String(event.content.body ?? '').startsWith('Nous sommes très inquiets pour ta sécurité'),
      )
        ? true
        : undefined,
    );
    await waitFor('the audit of request, approval and disclosure on the police server', async () => {
      const actions = (await timeline(police, d.result.forces.police.auditRoomId))
        .filter((event) => event.content.conversation === roomId)
        .map((event) => event.content.action);
      return ['disclosure_request', 'disclosure_approve', 'disclosure'].every((action) => actions.includes(action))
        ? true
        : undefined;
    });

    // Where each thing is, read from each server's own database: the police server holds the request (its
    // reason), the decision and the disclosure; the public and gendarmerie servers hold none of them.
    expect(eventsContaining(d, 'police', marker)).toBeGreaterThan(0);
    expect(eventsContaining(d, 'police', 'Code postal indiqu')).toBeGreaterThan(0);
    expect(eventsContaining(d, 'police', disclosureRoom)).toBeGreaterThan(0);
    expect(eventsContaining(d, 'police', `"disclosure":"${id}"`)).toBeGreaterThan(0);
    for (const role of ['public', 'gendarmerie'] as const) {
      expect(eventsContaining(d, role, marker)).toBe(0);
      expect(eventsContaining(d, role, 'Code postal indiqu')).toBe(0);
      expect(eventsContaining(d, role, disclosureRoom)).toBe(0);
      expect(eventsContaining(d, role, `"disclosure":"${id}"`)).toBe(0);
      expect(await known(d, role, disclosureRoom)).toBe(false);
      expect(await known(d, role, d.result.forces.police.supervisorsRoomId)).toBe(false);
    }
  });
});
