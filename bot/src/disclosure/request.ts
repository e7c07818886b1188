import {
  DISCLOSURE_REASON,
  DisclosureRequest as DisclosureRequestSchema,
  SafetyEventType,
  parseContent,
  type AuditAction,
  type DisclosureRequest,
  type Force,
} from '@espace-mineurs/protocol';
import type { Deps } from '../runtime/deps.ts';

export type { DisclosureRequest, DisclosureStatus } from '@espace-mineurs/protocol';

/**
 * Lifting a young person's anonymity in grave danger (docs/architecture.md, "Security model"): an agent requests it with a reason; a
 * supervisor of the same force, other than the requester, approves or refuses before it expires. Pure: the
 * caller stores the request (state DisclosureEventType in the force's supervisors room, key = id), audits each
 * transition, and on approval gathers and discloses (disclosure-gather.ts). The shape is the protocol's.
 */
export const DisclosureEventType = SafetyEventType.Disclosure;

export type DisclosureCode =
  | 'NOT_STAFF'
  | 'WRONG_FORCE'
  | 'NOT_SUPERVISOR'
  | 'OWN_REQUEST'
  | 'NOT_REQUESTER'
  | 'REASON_REQUIRED'
  | 'EXPIRED'
  | 'ALREADY_DECIDED';

export type Transition =
  { ok: true; request: DisclosureRequest } | { ok: false; code: DisclosureCode; message: string };

/** French answers for staff, by code. */
export const DISCLOSURE_MESSAGES: Record<DisclosureCode, string> = {
  NOT_STAFF: "Vous n'êtes pas enregistré comme agent actif d'Espace mineurs.",
  WRONG_FORCE: "Cette conversation relève de l'autre force : seuls ses superviseurs peuvent décider.",
  NOT_SUPERVISOR: 'Seul un superviseur peut approuver ou refuser une levée d’anonymat.',
  OWN_REQUEST: 'Vous ne pouvez pas décider de votre propre demande : un autre superviseur doit le faire.',
  NOT_REQUESTER: 'Seul l’auteur de la demande peut la retirer.',
  REASON_REQUIRED: `Indiquez le motif (${DISCLOSURE_REASON.min} à ${DISCLOSURE_REASON.max} caractères) : il sera montré au superviseur et tracé.`,
  EXPIRED: 'Cette demande a expiré : faites-en une nouvelle si le danger persiste.',
  ALREADY_DECIDED: 'Cette demande a déjà été traitée.',
};

function refuse(code: DisclosureCode): Transition {
  return { ok: false, code, message: DISCLOSURE_MESSAGES[code] };
}

export const DEFAULT_DISCLOSURE_TTL_MS = 30 * 60 * 1000;

export interface NewRequest {
  id: string;
  conversation: string;
  force: Force;
  requester: string;
  reason: string;
  now: number;
  ttlMs?: number;
}

/** An agent or supervisor of the conversation's force asks to lift anonymity. */
export function requestDisclosure({ staff }: Pick<Deps, 'staff'>, input: NewRequest): Transition {
  const member = staff(input.requester);
  if (!member?.active) return refuse('NOT_STAFF');
  if (member.force !== input.force) return refuse('WRONG_FORCE');
  const reason = input.reason.trim();
  if (reason.length < DISCLOSURE_REASON.min || reason.length > DISCLOSURE_REASON.max) return refuse('REASON_REQUIRED');
  return {
    ok: true,
    request: {
      id: input.id,
      conversation: input.conversation,
      force: input.force,
      requester: input.requester,
      reason,
      requestedAt: input.now,
      expiresAt: input.now + (input.ttlMs ?? DEFAULT_DISCLOSURE_TTL_MS),
      status: 'pending',
    },
  };
}

/** Marks a pending request expired once its time is up (the sweeper calls this; so does every decision). */
export function expireDisclosure(request: DisclosureRequest, now: number): DisclosureRequest {
  return request.status === 'pending' && now >= request.expiresAt
    ? { ...request, status: 'expired', decidedAt: request.expiresAt }
    : request;
}

function checkPending(request: DisclosureRequest, now: number): Transition | undefined {
  if (expireDisclosure(request, now).status === 'expired') return refuse('EXPIRED');
  if (request.status !== 'pending') return refuse('ALREADY_DECIDED');
  return undefined;
}

/** A supervisor of the request's force, not its author, approves or refuses a pending, unexpired request. */
export function decideDisclosure(
  { staff }: Pick<Deps, 'staff'>,
  request: DisclosureRequest,
  decision: { actor: string; approve: boolean; reason?: string; now: number },
): Transition {
  const member = staff(decision.actor);
  if (!member?.active) return refuse('NOT_STAFF');
  if (decision.actor === request.requester) return refuse('OWN_REQUEST');
  if (member.force !== request.force) return refuse('WRONG_FORCE');
  if (member.role !== 'supervisor') return refuse('NOT_SUPERVISOR');
  const blocked = checkPending(request, decision.now);
  if (blocked) return blocked;
  const reason = decision.reason?.trim();
  return {
    ok: true,
    request: {
      ...request,
      status: decision.approve ? 'approved' : 'refused',
      decidedBy: decision.actor,
      decidedAt: decision.now,
      ...(!decision.approve && reason ? { refusalReason: reason.slice(0, 1000) } : {}),
    },
  };
}

/** The requester withdraws a pending request (the danger is over, or it was a mistake). */
export function withdrawDisclosure(request: DisclosureRequest, actor: string, now: number): Transition {
  if (actor !== request.requester) return refuse('NOT_REQUESTER');
  const blocked = checkPending(request, now);
  if (blocked) return blocked;
  return { ok: true, request: { ...request, status: 'withdrawn', decidedBy: actor, decidedAt: now } };
}

/** The audit entry of a transition: ids and codes only, never the reason text. */
export function disclosureAuditEntry(request: DisclosureRequest, actor: string, at: number) {
  const action: AuditAction = (
    {
      pending: 'disclosure_request',
      approved: 'disclosure_approve',
      refused: 'disclosure_refuse',
      expired: 'disclosure_expire',
      withdrawn: 'disclosure_withdraw',
    } as const
  )[request.status];
  return { actor, action, conversation: request.conversation, at, details: { request: request.id } };
}

export function parseDisclosureRequest(content: unknown): DisclosureRequest | undefined {
  const parsed = parseContent(DisclosureRequestSchema, content);
  return parsed.ok ? parsed.value : undefined;
}
