import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../../bot/src/audit/audit-log.ts';
import { KeyedQueue } from '../../../bot/src/runtime/locks.ts';
import { Matrix } from '../../../bot/src/matrix/client.ts';
import { readAuditRoom } from '../../../bot/src/audit/verify.ts';
import { decideDisclosure, DisclosureEventType, requestDisclosure } from '../../../bot/src/disclosure/request.ts';
import { disclose, fetchConnections, type DisclosureContent } from '../../../bot/src/disclosure/gather.ts';
import type { StaffLookup } from '../../../bot/src/runtime/safety.ts';
import { join, timeline, waitUntil } from '../../support/conversation.ts';
import { loginDemo } from '../../support/matrix.ts';
import {
  botHomeserver,
  createAuditLikeRoom,
  createConversationLikeRoom,
  matrixRequest,
  registerGuest,
  stack,
} from './support.ts';

const staff: StaffLookup = (userId) => {
  const account = stack().demo.find((candidate) => candidate.userId === userId);
  return account ? { force: account.force, role: account.role, active: true } : undefined;
};

describe('disclosure in grave danger (real Synapse)', () => {
  it('refuses approval by the requester and by the other force; on approval discloses the IP to exactly the requester and approver', async () => {
    const hs = botHomeserver();
    const requester = await loginDemo('pn-agent-1');
    const approver = await loginDemo('pn-superviseur-1');
    const otherAgent = await loginDemo('pn-agent-2');
    const otherForceSupervisor = stack().demo.find(
      (account) => account.force === 'gendarmerie' && account.role === 'supervisor',
    )!.userId;
    const auditRooms = { police: await createAuditLikeRoom(hs), gendarmerie: await createAuditLikeRoom(hs) };
    const audit = new AuditLog(
      new Matrix(stack().baseUrl, stack().bot.accessToken, hs.userId),
      auditRooms,
      new KeyedQueue(),
    );
    await audit.load();

    // A young person who made requests: registration, join, messages (all from 127.0.0.1 here).
    const guest = await registerGuest();
    const { roomId } = await createConversationLikeRoom(hs, guest, ["j'ai peur", 'il est devant chez moi']);
    const connections = await waitUntil('the guest connections in whois', async () => {
      const found = await fetchConnections(hs, guest.userId);
      return found.length > 0 ? found : undefined;
    });
    expect(connections.map((connection) => connection.ip)).toContain('127.0.0.1');

    const asked = requestDisclosure(
      { staff },
      {
        id: randomUUID(),
        conversation: roomId,
        force: 'police',
        requester: requester.userId,
        reason: 'Il dit être menacé maintenant, devant chez lui.',
        now: Date.now(),
      },
    );
    if (!asked.ok) throw new Error(asked.code);
    await audit.write(['police'], `disclosure-request:${asked.request.id}`, {
      actor: requester.userId,
      action: 'disclosure_request',
      conversation: roomId,
      at: Date.now(),
      details: { request: asked.request.id },
    });

    expect(
      decideDisclosure({ staff }, asked.request, { actor: requester.userId, approve: true, now: Date.now() }),
    ).toMatchObject({ ok: false, code: 'OWN_REQUEST' });
    expect(
      decideDisclosure({ staff }, asked.request, { actor: otherForceSupervisor, approve: true, now: Date.now() }),
    ).toMatchObject({ ok: false, code: 'WRONG_FORCE' });
    expect(
      decideDisclosure({ staff }, asked.request, { actor: otherAgent.userId, approve: true, now: Date.now() }),
    ).toMatchObject({ ok: false, code: 'NOT_SUPERVISOR' });
    const approved = decideDisclosure({ staff }, asked.request, {
      actor: approver.userId,
      approve: true,
      now: Date.now(),
    });
    if (!approved.ok) throw new Error(approved.code);

    const result = await disclose(
      { matrix: hs, audit },
      {
        request: approved.request,
        guest: guest.userId,
        triage: { postalCode: '93200', text: 'Témoin · violences · en danger', inDanger: true, skipped: false },
        now: Date.now(),
        retentionMs: 7 * 24 * 3600 * 1000,
      },
    );
    expect(result.connections).toBeGreaterThan(0);

    // Exactly the bot (joined) and the two people (invited), nobody else.
    const members = await matrixRequest<{ chunk: Array<{ state_key: string; content: { membership: string } }> }>(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(result.roomId)}/members`,
      { token: stack().bot.accessToken },
    );
    expect(Object.fromEntries(members.body.chunk.map((event) => [event.state_key, event.content.membership]))).toEqual({
      [hs.userId]: 'join',
      [requester.userId]: 'invite',
      [approver.userId]: 'invite',
    });

    // Both read it once joined; another agent cannot join nor read; nobody but the bot can invite.
    await join(requester, result.roomId);
    await join(approver, result.roomId);
    const events = await timeline(requester, result.roomId);
    const disclosure = events.find((event) => event.event_id === result.eventId)!;
    const content = disclosure.content[DisclosureEventType] as DisclosureContent;
    expect(content.connections.map((connection) => connection.ip)).toContain('127.0.0.1');
    expect(content).toMatchObject({ guest: guest.userId, postalCode: '93200', conversation: roomId, inDanger: true });
    expect(String(disclosure.content.body)).toContain('127.0.0.1');
    expect(
      (
        await matrixRequest('POST', `/_matrix/client/v3/join/${encodeURIComponent(result.roomId)}`, {
          token: otherAgent.accessToken,
          body: {},
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await matrixRequest('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(result.roomId)}/messages?dir=b`, {
          token: otherAgent.accessToken,
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await matrixRequest('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(result.roomId)}/invite`, {
          token: approver.accessToken,
          body: { user_id: otherAgent.userId },
        })
      ).status,
    ).toBe(403);
    expect(
      await matrixRequest(
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(result.roomId)}/state/m.room.retention/`,
        { token: approver.accessToken },
      ),
    ).toMatchObject({ status: 200, body: { max_lifetime: 604_800_000 } });

    // Audited, without the IPs.
    const chain = await readAuditRoom(hs, auditRooms.police);
    expect(chain.map((item) => (item.record as { action: string }).action)).toEqual([
      'disclosure_request',
      'disclosure',
    ]);
    expect(JSON.stringify(chain)).not.toContain('127.0.0.1');
  });

  it('refuses to disclose what was not approved', async () => {
    const hs = botHomeserver();
    const asked = requestDisclosure(
      { staff },
      {
        id: randomUUID(),
        conversation: '!x:test',
        force: 'police',
        requester: stack().demo[0]!.userId,
        reason: 'Danger immédiat signalé.',
        now: Date.now(),
      },
    );
    if (!asked.ok) throw new Error(asked.code);
    await expect(
      disclose(
        { matrix: hs, audit: { write: async () => {} } },
        { request: asked.request, guest: '@nobody:test', now: Date.now() },
      ),
    ).rejects.toMatchObject({ code: 'NOT_APPROVED' });
  });
});
