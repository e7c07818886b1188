import { SafetyEventType, type DisclosureRequest } from '@espace-mineurs/protocol';
import type { AutoJoinPolicy, Me } from './model.ts';
import { shouldAutoJoin } from './access.ts';

/**
 * Lifting anonymity for a young person in grave danger, as the client sees it. The bot publishes each request as
 * state `fr.espace-mineurs.disclosure` (key = request id) in the force's supervisors room, and posts the disclosed
 * data, on approval, in a private room it creates for the requester and the approver. Shapes: protocol/src/safety.ts.
 */
export const DISCLOSURE_EVENT = SafetyEventType.Disclosure;
export { DisclosedData, DisclosureRequest } from '@espace-mineurs/protocol';
export type { Disclosure } from './model.ts';

export const REASON_MIN = 10;
export const REASON_MAX = 1000;

/** The requester's reason, checked before sending: the protocol (and the bot) refuse under 10 characters. */
export function checkDisclosureReason(text: string): { ok: true; reason: string } | { ok: false; problem: string } {
  const reason = text.trim();
  if (reason.length < REASON_MIN) {
    return {
      ok: false,
      problem: `Expliquez le danger en ${REASON_MIN} caractères au moins : le superviseur décide sur ce motif, qui est tracé.`,
    };
  }
  if (reason.length > REASON_MAX) return { ok: false, problem: `Le motif dépasse ${REASON_MAX} caractères.` };
  return { ok: true, reason };
}

/** A request as the client shows it: an expiry the bot has not swept yet already counts. */
export function effectiveStatus(request: DisclosureRequest, now: number): DisclosureRequest['status'] {
  return request.status === 'pending' && now >= request.expiresAt ? 'expired' : request.status;
}

/**
 * Whether this user is offered approve/refuse: a supervisor of the request's force, never on their own request,
 * while it is pending and not expired. The bot checks the same again; this only avoids offering what it refuses.
 */
export function canDecide(request: DisclosureRequest, me: Me, now: number): boolean {
  return (
    me.role === 'supervisor' &&
    request.force === me.force &&
    request.requester !== me.userId &&
    effectiveStatus(request, now) === 'pending'
  );
}

/** Pending requests of the force, oldest first (the one waiting longest is the most urgent). */
export function pendingDisclosures(requests: DisclosureRequest[], me: Me, now: number): DisclosureRequest[] {
  return requests
    .filter((request) => request.force === me.force && effectiveStatus(request, now) === 'pending')
    .sort((a, b) => a.requestedAt - b.requestedAt);
}

/** Requests decided (or expired, withdrawn) in the last day, newest first, for the supervisors' record. */
export function recentDisclosures(
  requests: DisclosureRequest[],
  me: Me,
  now: number,
  windowMs = 24 * 3600_000,
): DisclosureRequest[] {
  return requests
    .filter(
      (request) =>
        request.force === me.force &&
        effectiveStatus(request, now) !== 'pending' &&
        (request.decidedAt ?? request.expiresAt) >= now - windowMs,
    )
    .sort((a, b) => (b.decidedAt ?? b.expiresAt) - (a.decidedAt ?? a.expiresAt));
}

export const DISCLOSURE_STATUS_LABEL: Record<DisclosureRequest['status'], string> = {
  pending: 'En attente de décision',
  approved: 'Approuvée',
  refused: 'Refusée',
  expired: 'Expirée',
  withdrawn: 'Retirée',
};

/**
 * Which bot invitations the client accepts by itself. A conversation room of the force: the rules of
 * `shouldAutoJoin`. Any other room: only one the bot both created and invited us to (a disclosure room for the
 * requester and the approver). A room someone else created is never joined, even if the bot invites to it.
 */
export const shouldAutoJoinRoom: AutoJoinPolicy = (input) => {
  if (!input.inviter || !input.bots.has(input.inviter)) return false;
  if (input.entry) return shouldAutoJoin(input.entry, input.me);
  return input.creator !== undefined && input.bots.has(input.creator);
};
