/**
 * The protocol's names and fixed lists, without zod: a browser can import them (`@espace-mineurs/protocol/names`)
 * without downloading the validators. The zod schemas are built from these lists in the other modules.
 */
export * from './events.ts';

export const FORCES = ['police', 'gendarmerie'] as const;

/** Names shown to people (French). */
export const FORCE_LABEL: Record<(typeof FORCES)[number], string> = {
  police: 'Police nationale',
  gendarmerie: 'Gendarmerie nationale',
};

export const CONVERSATION_STATES = ['triage', 'queued', 'assigned', 'closed', 'abandoned'] as const;

export const API_ERROR_CODES = [
  'UNAUTHENTICATED',
  'NOT_A_GUEST',
  'RATE_LIMITED',
  'NO_CONVERSATION',
  'BAD_REQUEST',
  'NOT_FOUND',
  'FORBIDDEN_ORIGIN',
  'HOMESERVER_UNAVAILABLE',
  'INTERNAL',
  'EVIDENCE_REFUSED',
  'EVIDENCE_TOO_LARGE',
  'EVIDENCE_UNSUPPORTED_TYPE',
  'COOLING_DOWN',
] as const;
