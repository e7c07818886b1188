import type { Force } from '@espace-mineurs/protocol';
import type { RawEvent } from '../matrix/client.ts';
import { readTimeline } from '../matrix/homeserver.ts';
import type { Context } from '../runtime/context.ts';
import type { Conversation, EvidenceRecord } from '../state/store.ts';
import { EVIDENCE_CONTENT_KEY } from './evidence.ts';

/** Audits one evidence image in the audit room of the force serving the conversation (once: keyed by its hash). */
export function auditEvidence(ctx: Context, force: Force, roomId: string, record: EvidenceRecord): Promise<void> {
  return ctx.audit.write([force], `evidence:${roomId}:${record.sha256}`, {
    actor: record.actor,
    action: 'evidence',
    conversation: roomId,
    at: record.at,
    details: { sha256: record.sha256, size: record.size },
  });
}

/**
 * An image the young person sends during the triage belongs to no force yet: it is audited when the conversation
 * is routed (`auditTriageEvidence`), by the force that serves it only (docs/architecture.md, "Federated
 * topology", rule 2: nothing of a police conversation reaches the gendarmerie's rooms or server).
 */
export async function keepOrAuditEvidence(ctx: Context, conversation: Conversation, record: EvidenceRecord) {
  if (conversation.entry) return auditEvidence(ctx, conversation.entry.force, conversation.roomId, record);
  // Unknown after a restart: the routing reads them all back from the room.
  conversation.triageEvidence?.push(record);
}

/** The evidence images the bot posted in a young person's room, read back from its timeline (oldest first). */
async function evidenceInRoom(ctx: Context, conversation: Conversation): Promise<EvidenceRecord[]> {
  const events = await readTimeline<RawEvent>(ctx.matrix, conversation.roomId, { types: ['m.room.message'] });
  return events.flatMap((event) => {
    const record = ctx.matrix.isOwn(event.sender) ? recordOf(event, conversation.guest) : undefined;
    return record ? [record] : [];
  });
}

function recordOf(event: RawEvent, guest: string): EvidenceRecord | undefined {
  const evidence = event.content[EVIDENCE_CONTENT_KEY] as { sha256?: unknown } | undefined;
  const info = event.content.info as { size?: unknown } | undefined;
  if (typeof evidence?.sha256 !== 'string') return undefined;
  return {
    actor: guest,
    at: event.origin_server_ts,
    sha256: evidence.sha256,
    size: typeof info?.size === 'number' ? info.size : 0,
  };
}

/**
 * At routing: audits, in the serving force's audit room, the images sent during the triage. A conversation rebuilt
 * after a restart does not know them (`triageEvidence` undefined): they are read back from its room. Replayed
 * after a crash, each is audited once (keyed by its hash).
 */
export async function auditTriageEvidence(ctx: Context, conversation: Conversation, force: Force): Promise<void> {
  const pending = conversation.triageEvidence ?? (await evidenceInRoom(ctx, conversation));
  for (const record of pending) await auditEvidence(ctx, force, conversation.roomId, record);
  conversation.triageEvidence = [];
}
