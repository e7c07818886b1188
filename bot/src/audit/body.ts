import type { AuditAction } from '@espace-mineurs/protocol';
import type { AuditEntry } from './chain.ts';

/**
 * The short plain `body` of each audit event, so a supervisor reads the audit room in any client: the action in
 * French, the ticket, who (a staff pseudonym, « le jeune », « le service »), and the time. Never content, never a
 * Matrix ID, a reason or a comment. It is part of the record, so the chain's hash covers it.
 */
const ACTION_TEXT: Record<AuditAction, string> = {
  open_and_queue: 'Ouverture et mise en file',
  claim: 'Prise en charge',
  duty_on: 'Prise de service',
  duty_off: 'Fin de service',
  requeue: 'Remise en file',
  overflow: "Débordement vers l'autre force",
  transfer: 'Transfert',
  transfer_offer: 'Transfert proposé',
  transfer_accept: 'Transfert accepté',
  transfer_decline: 'Transfert refusé',
  transfer_withdrawn: 'Transfert sans réponse, annulé',
  flag_danger: 'Danger grave signalé',
  supervise: 'Supervision',
  read_closed: "Lecture d'une conversation close",
  close: 'Clôture',
  abandon: 'Abandon',
  cool_down: 'Mise au calme',
  guest_ended: 'Compte invité fermé',
  disclosure_request: "Demande de levée d'anonymat",
  disclosure_decision: "Décision de levée d'anonymat",
  disclosure_approve: "Levée d'anonymat approuvée",
  disclosure_refuse: "Levée d'anonymat refusée",
  disclosure_expire: "Demande de levée d'anonymat expirée",
  disclosure_withdraw: "Demande de levée d'anonymat retirée",
  disclosure: "Données de levée d'anonymat transmises",
  evidence: 'Pièce enregistrée',
  export: 'Export',
  export_removed: 'Export retiré',
  legal_hold: 'Conservation judiciaire posée',
  legal_hold_lift: 'Conservation judiciaire levée',
  retention_set: 'Durée de conservation modifiée',
  delete: 'Suppression',
  staff_create: 'Compte agent créé',
  staff_disable: 'Compte agent désactivé',
  staff_supervisor: 'Rôle de superviseur modifié',
  staff_password_reset: 'Mot de passe réinitialisé',
  staff_enable: 'Compte agent réactivé',
};

/** How the running bot names what a record refers to; without it (tests, tools) the body says less. */
export interface AuditNamer {
  /** A staff member's pseudonym; undefined for anyone else. */
  actor(userId: string): string | undefined;
  /** The ticket a conversation is known by now. */
  ticket(roomId: string): number | undefined;
  /** The service's own account. */
  botUserId: string;
}

const TIME = new Intl.DateTimeFormat('fr-FR', {
  timeZone: 'Europe/Paris',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export function auditBody(entry: AuditEntry, namer?: AuditNamer): string {
  const parts = [ACTION_TEXT[entry.action] ?? entry.action];
  const detailTicket = entry.details?.ticket;
  const ticket =
    typeof detailTicket === 'number'
      ? detailTicket
      : entry.conversation
        ? namer?.ticket(entry.conversation)
        : undefined;
  if (ticket !== undefined) parts.push(`conversation n°${ticket}`);
  const who = namer
    ? (namer.actor(entry.actor) ?? (entry.actor === namer.botUserId ? 'le service' : 'le jeune'))
    : undefined;
  if (who) parts.push(`par ${who}`);
  parts.push(`le ${TIME.format(new Date(entry.at)).replace(' ', ' à ')} (heure de Paris)`);
  return parts.join(' — ');
}
