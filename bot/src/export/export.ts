import { EventType } from '@espace-mineurs/protocol';
import { canonicalJson } from '../audit/chain.ts';
import { EVIDENCE_CONTENT_KEY, sha256 } from '../runtime/safety.ts';
import { readTimeline, type Homeserver } from '../matrix/homeserver.ts';
import {
  EXPORT_FORMAT,
  type ConversationExport,
  type ExportedEvent,
  type ExportedEvidence,
  type ExportSourceEvent,
  type SenderRole,
} from './document.ts';

/**
 * Export of one conversation for a judicial procedure: every event of the room, each with the SHA-256 of its
 * canonical JSON (event id, type, sender, time, content: what Synapse serves), the evidence images' hashes, and a
 * readable French document. The caller (supervisor command, admin command line) audits the export.
 */
export {
  EXPORT_FORMAT,
  type ConversationExport,
  type ExportedEvent,
  type ExportedEvidence,
  type ExportSourceEvent,
  type SenderRole,
} from './document.ts';

export function eventHash(event: ExportSourceEvent): string {
  return sha256(
    Buffer.from(
      canonicalJson({
        event_id: event.event_id,
        type: event.type,
        sender: event.sender,
        origin_server_ts: event.origin_server_ts,
        ...(event.state_key !== undefined ? { state_key: event.state_key } : {}),
        content: event.content,
      }),
    ),
  );
}

export interface ExportMeta {
  roomId: string;
  botUserId: string;
  exportedAt: number;
  exportedBy: string;
  /** The young person's account, when the caller knows it; else read from the room's conversation marker. */
  guest?: string;
}

export function buildExport(events: readonly ExportSourceEvent[], meta: ExportMeta): ConversationExport {
  const marker = events.find((event) => event.type === EventType.ConversationRoom && event.sender === meta.botUserId);
  const guest = meta.guest ?? (typeof marker?.content.guest === 'string' ? marker.content.guest : undefined);
  const role = (sender: string): SenderRole =>
    sender === meta.botUserId ? 'service' : sender === guest ? 'jeune' : 'agent';
  const exported: ExportedEvent[] = events.map((event) => ({
    eventId: event.event_id,
    type: event.type,
    sender: event.sender,
    role: role(event.sender),
    ts: event.origin_server_ts,
    ...(event.state_key !== undefined ? { stateKey: event.state_key } : {}),
    content: event.content,
    redacted: Boolean(event.unsigned?.redacted_because),
    sha256: eventHash(event),
  }));
  const evidence: ExportedEvidence[] = [];
  for (const event of events) {
    const info = event.content[EVIDENCE_CONTENT_KEY] as { sha256?: unknown; receivedSha256?: unknown } | undefined;
    if (event.sender !== meta.botUserId || typeof event.content.url !== 'string' || typeof info?.sha256 !== 'string')
      continue;
    evidence.push({
      eventId: event.event_id,
      mxc: event.content.url,
      sha256: info.sha256,
      ...(typeof info.receivedSha256 === 'string' ? { receivedSha256: info.receivedSha256 } : {}),
    });
  }
  const body: Omit<ConversationExport, 'documentSha256'> = {
    format: EXPORT_FORMAT,
    roomId: meta.roomId,
    ...(guest ? { guest } : {}),
    exportedAt: meta.exportedAt,
    exportedBy: meta.exportedBy,
    events: exported,
    evidence,
  };
  return { ...body, documentSha256: sha256(Buffer.from(canonicalJson(body))) };
}

/** Recomputes a document's own hash (a reader checks an export was not edited since). */
export function verifyExport(doc: ConversationExport): boolean {
  const { documentSha256, ...body } = doc;
  if (sha256(Buffer.from(canonicalJson(body))) !== documentSha256) return false;
  return doc.events.every(
    (event) =>
      eventHash({
        event_id: event.eventId,
        type: event.type,
        sender: event.sender,
        origin_server_ts: event.ts,
        ...(event.stateKey !== undefined ? { state_key: event.stateKey } : {}),
        content: event.content,
      }) === event.sha256,
  );
}

/** Downloads each evidence image and checks its hash; the document hash is recomputed. */
export async function checkEvidence(
  doc: ConversationExport,
  download: (mxc: string) => Promise<Buffer>,
): Promise<ConversationExport> {
  const evidence: ExportedEvidence[] = [];
  for (const item of doc.evidence) {
    let verified: boolean;
    try {
      verified = sha256(await download(item.mxc)) === item.sha256;
    } catch {
      verified = false;
    }
    evidence.push({ ...item, verified });
  }
  const { documentSha256: _old, ...body } = { ...doc, evidence };
  return { ...body, documentSha256: sha256(Buffer.from(canonicalJson(body))) };
}

/** Reads the room with the bot's token and builds the export. */
export async function exportConversation(
  hs: Homeserver,
  roomId: string,
  meta: { exportedBy: string; now: number; guest?: string; download?: (mxc: string) => Promise<Buffer> },
): Promise<ConversationExport> {
  const events = await readTimeline<ExportSourceEvent>(hs, roomId);
  const doc = buildExport(events, {
    roomId,
    botUserId: hs.userId,
    exportedAt: meta.now,
    exportedBy: meta.exportedBy,
    ...(meta.guest ? { guest: meta.guest } : {}),
  });
  return meta.download ? checkEvidence(doc, meta.download) : doc;
}

export { renderExportHtml } from './html.ts';
