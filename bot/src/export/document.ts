import type { RawEvent } from '../matrix/client.ts';

/** The export document's shape, shared by the builder (export.ts) and the readable rendering (html.ts). */
export const EXPORT_FORMAT = 'fr.espace-mineurs.export/1';

/** A raw event as Synapse serves it, the same shape the bot reads everywhere. */
export type ExportSourceEvent = RawEvent;

export type SenderRole = 'service' | 'jeune' | 'agent';

export interface ExportedEvent {
  eventId: string;
  type: string;
  sender: string;
  role: SenderRole;
  ts: number;
  stateKey?: string;
  content: Record<string, unknown>;
  redacted: boolean;
  /** sha256 of canonicalJson({event_id, type, sender, origin_server_ts, state_key?, content}). */
  sha256: string;
}

export interface ExportedEvidence {
  eventId: string;
  mxc: string;
  sha256: string;
  receivedSha256?: string;
  /** Set by checkEvidence: the media store still serves bytes with that hash. */
  verified?: boolean;
}

export interface ConversationExport {
  format: typeof EXPORT_FORMAT;
  roomId: string;
  guest?: string;
  exportedAt: number;
  exportedBy: string;
  events: ExportedEvent[];
  evidence: ExportedEvidence[];
  /** sha256 of canonicalJson of this document without this field. */
  documentSha256: string;
}
