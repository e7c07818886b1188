import {
  isCommandRefusalCode,
  type CommandRefusalCode,
  type ConversationState,
  type Outcome,
  type Priority,
} from '@espace-mineurs/protocol';

/** French labels for protocol codes. */
export const OUTCOME_LABEL: Record<Outcome, string> = {
  complaint: 'Orientation vers un dépôt de plainte',
  '119': 'Orientation vers le 119 (enfance en danger)',
  '3018': 'Orientation vers le 3018 (cyberharcèlement)',
  school: "Orientation vers l'établissement scolaire",
  health: 'Orientation vers un professionnel de santé',
  emergency_services: 'Intervention des secours / forces de l’ordre',
  none: 'Sans orientation particulière',
};

export const STATE_LABEL: Record<ConversationState, string> = {
  triage: 'Questions d’accueil',
  queued: 'En attente',
  assigned: 'En cours',
  closed: 'Clôturée',
  abandoned: 'Abandonnée',
};

export const PRIORITY_LABEL: Record<Priority, string> = { normal: 'Normale', urgent: 'Prioritaire' };

/**
 * Refusal codes from CommandResult, said in French: one for every code of the protocol's list (a Record over
 * it, so a code the bot may send without a label here is a type error).
 */
export const COMMAND_CODE_TEXT: Record<CommandRefusalCode, string> = {
  ALREADY_CLAIMED: 'Un collègue a déjà pris cette conversation.',
  NOT_STAFF: "Votre compte n'est pas enregistré comme agent.",
  WRONG_FORCE: "Cette conversation relève de l'autre force.",
  AT_CAPACITY: 'Vous avez atteint votre nombre maximum de conversations.',
  ALREADY_YOURS: 'Cette conversation est déjà la vôtre.',
  UNKNOWN_CONVERSATION: 'Conversation introuvable.',
  NOT_ASSIGNEE: 'Cette conversation ne vous est pas attribuée.',
  NOT_IN_PROGRESS: 'Seule une conversation en cours peut être transférée.',
  UNKNOWN_AGENT: "Ce collègue n'est pas enregistré.",
  SAME_AGENT: 'Cette conversation est déjà la sienne.',
  CONVERSATION_ENDED: 'Cette conversation est terminée.',
  NOT_QUEUED: "Cette conversation n'est plus en attente.",
  NOT_SUPERVISOR: 'Réservé aux superviseurs.',
  NO_PENDING_TRANSFER: "Aucun transfert n'est en attente pour cette conversation.",
  OWN_REQUEST: 'Vous ne pouvez pas décider de votre propre demande : un autre superviseur doit le faire.',
  REASON_REQUIRED: 'Indiquez un motif.',
  NO_HOLD: "Cette conversation n'est pas sous conservation judiciaire.",
  EXPIRED: 'Cette demande a expiré.',
  ALREADY_DECIDED: 'Cette demande a déjà été traitée.',
  NOT_REQUESTER: "Seul l'auteur de la demande peut la retirer.",
  UNKNOWN_DISCLOSURE: "Cette demande de levée d'anonymat est introuvable.",
  BAD_COMMAND: 'Demande invalide.',
};

export const ACTION_LABEL: Record<string, string> = {
  claim: 'Prise en charge',
  duty: 'Changement de service',
  transfer: 'Transfert',
  transfer_accept: 'Acceptation du transfert',
  transfer_decline: 'Refus du transfert',
  close: 'Clôture',
  flag_danger: 'Signalement de danger',
  supervise: 'Supervision',
  disclosure_request: "Demande de levée d'anonymat",
  disclosure_decision: "Décision sur la levée d'anonymat",
  disclosure_withdraw: "Retrait de la demande de levée d'anonymat",
  legal_hold: 'Conservation judiciaire',
  export: 'Export',
  queue_list: 'Liste de la file',
  mine_list: 'Liste de mes conversations',
};

export function commandRefusalText(code: string | undefined): string {
  return (
    (code && isCommandRefusalCode(code) ? COMMAND_CODE_TEXT[code] : undefined) ?? 'Le service a refusé la demande.'
  );
}

/** What to say about a result: the bot's own sentence when it gave one, else our words for its code. */
export function commandResultText(result: { ok: boolean; code?: string; message?: string } | undefined): string {
  if (!result) return '';
  if (result.message) return result.message;
  return result.ok ? 'Fait.' : commandRefusalText(result.code);
}
