import { LEGAL_HOLD_REASON, SafetyEventType, type ConversationEntry, type Outcome } from '@espace-mineurs/protocol';
import type { CommandInput } from './commands.ts';

/** The protocol's bounds for "close and cool down": one minute to one week. */
export const COOL_DOWN_MAX_MINUTES = 7 * 24 * 60;
export const COOL_DOWN_CHOICES = [30, 60, 24 * 60] as const;

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * The close command from the dialog. Cooling down is optional and never the default: many first contacts are
 * young people testing the service, so blocking one is an agent's deliberate choice (and the bot audits it).
 */
export function closeCommand(
  conversation: string,
  outcome: Outcome,
  coolDown: { enabled: boolean; minutes: string },
): Checked<CommandInput> {
  if (!coolDown.enabled) return { ok: true, value: { action: 'close', conversation, outcome } };
  const text = coolDown.minutes.trim();
  const minutes = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > COOL_DOWN_MAX_MINUTES) {
    return {
      ok: false,
      problem: `Durée de pause : un nombre entier de minutes, de 1 à ${COOL_DOWN_MAX_MINUTES} (une semaine).`,
    };
  }
  return { ok: true, value: { action: 'close', conversation, outcome, coolDownMinutes: minutes } };
}

/** The protocol's bounds of a legal hold's reason (the bot checks the same). */
export const LEGAL_HOLD_REASON_MIN = LEGAL_HOLD_REASON.min;

/** Placing or lifting a legal hold always carries a reason (audited); the protocol wants 5 to 1000 characters. */
export function legalHoldCommand(conversation: string, hold: boolean, reasonText: string): Checked<CommandInput> {
  const reason = reasonText.trim();
  if (reason.length < LEGAL_HOLD_REASON_MIN)
    return {
      ok: false,
      problem: `Indiquez le motif (${LEGAL_HOLD_REASON_MIN} caractères au moins), par exemple la référence de la procédure.`,
    };
  if (reason.length > LEGAL_HOLD_REASON.max)
    return { ok: false, problem: `Le motif dépasse ${LEGAL_HOLD_REASON.max} caractères.` };
  return { ok: true, value: { action: 'legal_hold', conversation, hold, reason } };
}

/** Formats a cool-down for people: "30 min", "1 h", "24 h". */
export function coolDownLabel(minutes: number): string {
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}

/**
 * A legal hold as the bot records it: state `fr.espace-mineurs.legal_hold` (key = the conversation's room id) in
 * the force's supervisors room (protocol/src/safety.ts).
 */
export const LEGAL_HOLD_EVENT = SafetyEventType.LegalHold;
export { LegalHold } from '@espace-mineurs/protocol';

/**
 * What the agent reads once a conversation of theirs has ended (closed by them, or left by the young person):
 * what happened, in words, instead of a screen saying it is not theirs (the bot has let them out of the room).
 */
export function endedSummary(
  entry: ConversationEntry,
  outcomeLabel: string | undefined,
): { title: string; detail: string } {
  if (entry.state === 'abandoned') {
    return {
      title: `Conversation n° ${entry.ticket} terminée`,
      detail: 'Le jeune a quitté la conversation, ou ne répondait plus. Elle ne figure plus dans vos conversations.',
    };
  }
  return {
    title: `Conversation n° ${entry.ticket} clôturée`,
    detail: `${outcomeLabel ? `${outcomeLabel}. ` : ''}Le jeune a reçu le message de fin avec les ressources utiles. Elle ne figure plus dans vos conversations.`,
  };
}
