import { describe, expect, it } from 'vitest';
import {
  decideDisclosure,
  disclosureAuditEntry,
  expireDisclosure,
  parseDisclosureRequest,
  requestDisclosure,
  withdrawDisclosure,
  type DisclosureRequest,
} from './request.ts';
import { disclosureMessage } from './gather.ts';
import type { StaffLookup, StaffMember } from '../runtime/safety.ts';

const members: Record<string, StaffMember> = {
  '@pn-agent:t': { force: 'police', role: 'agent', active: true },
  '@pn-agent-2:t': { force: 'police', role: 'agent', active: true },
  '@pn-sup:t': { force: 'police', role: 'supervisor', active: true },
  '@pn-sup-2:t': { force: 'police', role: 'supervisor', active: true },
  '@pn-sup-gone:t': { force: 'police', role: 'supervisor', active: false },
  '@gn-sup:t': { force: 'gendarmerie', role: 'supervisor', active: true },
  '@gn-agent:t': { force: 'gendarmerie', role: 'agent', active: true },
};
const staff: StaffLookup = (userId) => members[userId];
const NOW = 1_800_000_000_000;
const REASON = 'Menace de suicide imminente, parle de ce soir.';

function pending(requester = '@pn-agent:t'): DisclosureRequest {
  const result = requestDisclosure(
    { staff },
    {
      id: 'd1',
      conversation: '!c:t',
      force: 'police',
      requester,
      reason: REASON,
      now: NOW,
      ttlMs: 60_000,
    },
  );
  if (!result.ok) throw new Error(result.code);
  return result.request;
}

describe('disclosure requests', () => {
  it('an agent of the conversation’s force requests, with a reason', () => {
    expect(pending()).toEqual({
      id: 'd1',
      conversation: '!c:t',
      force: 'police',
      requester: '@pn-agent:t',
      reason: REASON,
      requestedAt: NOW,
      expiresAt: NOW + 60_000,
      status: 'pending',
    });
    const base = { id: 'd', conversation: '!c:t', force: 'police' as const, reason: REASON, now: NOW };
    expect(requestDisclosure({ staff }, { ...base, requester: '@gn-agent:t' })).toMatchObject({
      ok: false,
      code: 'WRONG_FORCE',
    });
    expect(requestDisclosure({ staff }, { ...base, requester: '@stranger:t' })).toMatchObject({
      ok: false,
      code: 'NOT_STAFF',
    });
    expect(requestDisclosure({ staff }, { ...base, requester: '@pn-sup-gone:t' })).toMatchObject({
      ok: false,
      code: 'NOT_STAFF',
    });
    expect(requestDisclosure({ staff }, { ...base, requester: '@pn-agent:t', reason: '  danger ' })).toMatchObject({
      ok: false,
      code: 'REASON_REQUIRED',
    });
  });

  it('only a supervisor of the same force, not the requester, approves', () => {
    const request = pending();
    expect(decideDisclosure({ staff }, request, { actor: '@pn-agent:t', approve: true, now: NOW })).toMatchObject({
      ok: false,
      code: 'OWN_REQUEST',
    });
    expect(decideDisclosure({ staff }, request, { actor: '@pn-agent-2:t', approve: true, now: NOW })).toMatchObject({
      ok: false,
      code: 'NOT_SUPERVISOR',
    });
    expect(decideDisclosure({ staff }, request, { actor: '@gn-sup:t', approve: true, now: NOW })).toMatchObject({
      ok: false,
      code: 'WRONG_FORCE',
    });
    expect(decideDisclosure({ staff }, request, { actor: '@gn-sup:t', approve: false, now: NOW })).toMatchObject({
      ok: false,
      code: 'WRONG_FORCE',
    });
    expect(decideDisclosure({ staff }, request, { actor: '@pn-sup-gone:t', approve: true, now: NOW })).toMatchObject({
      ok: false,
      code: 'NOT_STAFF',
    });
    const approved = decideDisclosure({ staff }, request, { actor: '@pn-sup:t', approve: true, now: NOW + 1 });
    expect(approved).toEqual({
      ok: true,
      request: { ...request, status: 'approved', decidedBy: '@pn-sup:t', decidedAt: NOW + 1 },
    });
  });

  it('a supervisor’s own request needs another supervisor', () => {
    const request = pending('@pn-sup:t');
    expect(decideDisclosure({ staff }, request, { actor: '@pn-sup:t', approve: true, now: NOW })).toMatchObject({
      ok: false,
      code: 'OWN_REQUEST',
    });
    expect(decideDisclosure({ staff }, request, { actor: '@pn-sup:t', approve: false, now: NOW })).toMatchObject({
      ok: false,
      code: 'OWN_REQUEST',
    });
    expect(decideDisclosure({ staff }, request, { actor: '@pn-sup-2:t', approve: true, now: NOW })).toMatchObject({
      ok: true,
    });
  });

  it('refusal keeps its reason; a decided request cannot be decided again', () => {
    const refused = decideDisclosure({ staff }, pending(), {
      actor: '@pn-sup:t',
      approve: false,
      reason: ' Pas assez d’éléments ',
      now: NOW,
    });
    expect(refused).toMatchObject({
      ok: true,
      request: { status: 'refused', refusalReason: 'Pas assez d’éléments', decidedBy: '@pn-sup:t' },
    });
    if (!refused.ok) return;
    expect(
      decideDisclosure({ staff }, refused.request, { actor: '@pn-sup-2:t', approve: true, now: NOW }),
    ).toMatchObject({
      ok: false,
      code: 'ALREADY_DECIDED',
    });
  });

  it('expires: no approval after the deadline', () => {
    const request = pending();
    expect(expireDisclosure(request, NOW + 59_999).status).toBe('pending');
    expect(expireDisclosure(request, NOW + 60_000)).toMatchObject({ status: 'expired', decidedAt: NOW + 60_000 });
    expect(
      decideDisclosure({ staff }, request, { actor: '@pn-sup:t', approve: true, now: NOW + 60_000 }),
    ).toMatchObject({
      ok: false,
      code: 'EXPIRED',
    });
    expect(withdrawDisclosure(request, '@pn-agent:t', NOW + 70_000)).toMatchObject({ ok: false, code: 'EXPIRED' });
  });

  it('only the requester withdraws', () => {
    expect(withdrawDisclosure(pending(), '@pn-sup:t', NOW)).toMatchObject({ ok: false, code: 'NOT_REQUESTER' });
    expect(withdrawDisclosure(pending(), '@pn-agent:t', NOW)).toMatchObject({
      ok: true,
      request: { status: 'withdrawn' },
    });
  });

  it('audit entries carry ids, never the reason; stored content is validated', () => {
    const entry = disclosureAuditEntry(pending(), '@pn-agent:t', NOW);
    expect(entry).toEqual({
      actor: '@pn-agent:t',
      action: 'disclosure_request',
      conversation: '!c:t',
      at: NOW,
      details: { request: 'd1' },
    });
    expect(JSON.stringify(entry)).not.toContain('suicide');
    expect(parseDisclosureRequest(pending())).toEqual(pending());
    expect(parseDisclosureRequest({ ...pending(), status: 'maybe' })).toBeUndefined();
    expect(parseDisclosureRequest({ ...pending(), force: 'army' })).toBeUndefined();
  });

  it('the disclosure message lists the connections and the postal code', () => {
    const approved = decideDisclosure({ staff }, pending(), { actor: '@pn-sup:t', approve: true, now: NOW });
    if (!approved.ok) throw new Error();
    const message = disclosureMessage(
      {
        request: 'd1',
        conversation: '!c:t',
        guest: '@1:t',
        connections: [{ ip: '203.0.113.9', userAgent: 'Mozilla/5.0', lastSeen: NOW }],
        postalCode: '93200',
        triage: 'Harcèlement',
        gatheredAt: NOW,
      },
      approved.request,
    );
    expect(message.body).toContain('203.0.113.9');
    expect(message.body).toContain('93200');
    expect(message.body).toContain('@pn-sup:t');
  });
});
