import { EventType } from '@espace-mineurs/protocol';
import { hashRecord, type AuditRecord } from './chain.ts';
import { readTimeline, type Homeserver } from '../matrix/homeserver.ts';

/** One link of a force's audit chain, as read from the audit room or from the mirror file. */
export interface ChainItem {
  /** Matrix event ID (absent only for records that never reached Matrix). */
  eventId?: string;
  sender?: string;
  /** The event content as served: validated here, not trusted. */
  record: unknown;
}

export type BreakKind =
  /** `prev` is not the hash of the record just before: a record was modified, removed or inserted. */
  | 'prev_mismatch'
  /** `prev` names an older record than the one before it: a record was inserted, or two writers appended from one head. */
  | 'fork'
  /** The content is not an audit record (missing or mistyped field). */
  | 'malformed'
  /** An audit event from someone other than the bot (only the bot may write in an audit room). */
  | 'foreign_sender';

export interface ChainBreak {
  index: number;
  eventId?: string;
  kind: BreakKind;
  /** For prev_mismatch and fork: what `prev` should be, and what the record carries. */
  expected?: string;
  found?: string;
  /** For fork: the index of the record whose hash `prev` names. */
  forkOf?: number;
}

export interface ChainReport {
  ok: boolean;
  count: number;
  /** Hash of the last record (what the next `prev` must be), "genesis" for an empty chain. */
  head: string;
  firstBreak?: ChainBreak;
}

export const GENESIS = 'genesis';

function isRecord(value: unknown): value is AuditRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  if (typeof record.actor !== 'string' || typeof record.action !== 'string' || typeof record.prev !== 'string')
    return false;
  if (typeof record.at !== 'number' || !Number.isFinite(record.at)) return false;
  if (record.conversation !== undefined && typeof record.conversation !== 'string') return false;
  if (record.body !== undefined && typeof record.body !== 'string') return false;
  if (record.details !== undefined) {
    if (record.details === null || typeof record.details !== 'object' || Array.isArray(record.details)) return false;
    for (const item of Object.values(record.details)) {
      if (!['string', 'number', 'boolean'].includes(typeof item)) return false;
    }
  }
  return true;
}

/**
 * Verifies one force's chain, oldest first, and names the first broken link. A modified record k shows as a
 * `prev_mismatch` at k + 1 (its successor no longer names it); the last record cannot be checked this way, which
 * is why the mirror is compared with the room (`compareWithMirror`). `anchor` is the `prev` of the first record
 * given ("genesis" for a whole chain, or a head recorded earlier when verifying from a point on).
 */
export function verifyChain(
  items: readonly ChainItem[],
  options: { trustedSender?: string; anchor?: string } = {},
): ChainReport {
  let expected = options.anchor ?? GENESIS;
  const seen = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    const at = { index, ...(item.eventId ? { eventId: item.eventId } : {}) };
    if (options.trustedSender !== undefined && item.sender !== options.trustedSender) {
      return { ok: false, count: items.length, head: expected, firstBreak: { ...at, kind: 'foreign_sender' } };
    }
    if (!isRecord(item.record)) {
      return { ok: false, count: items.length, head: expected, firstBreak: { ...at, kind: 'malformed' } };
    }
    const found = item.record.prev;
    if (found !== expected) {
      const forkOf = seen.get(found);
      const firstBreak: ChainBreak =
        forkOf !== undefined
          ? { ...at, kind: 'fork', expected, found, forkOf }
          : { ...at, kind: 'prev_mismatch', expected, found };
      return { ok: false, count: items.length, head: expected, firstBreak };
    }
    expected = hashRecord(item.record);
    seen.set(expected, index);
  }
  return { ok: true, count: items.length, head: expected };
}

/**
 * Reads one audit chain from a force's audit room, oldest first: every event of that type, whoever sent it (the
 * bot's chain by default; the admin command line's chain is ADMIN_AUDIT_EVENT).
 */
export async function readAuditRoom(
  matrix: Homeserver,
  auditRoomId: string,
  type: string = EventType.Audit,
): Promise<ChainItem[]> {
  const events = await readTimeline<{ event_id: string; type: string; sender: string; content: unknown }>(
    matrix,
    auditRoomId,
    { types: [type] },
  );
  return events
    .filter((event) => event.type === type)
    .map((event) => ({ eventId: event.event_id, sender: event.sender, record: event.content }));
}

export type MirrorDivergence =
  | { kind: 'modified'; index: number; eventId: string }
  | { kind: 'missing_in_mirror'; index: number; eventId: string }
  | { kind: 'missing_in_room'; index: number; eventId: string }
  | { kind: 'order'; index: number; eventId: string };

/**
 * Compares the room's chain with the mirror's, event by event. The two live under different administrators
 * (Synapse's database, the bot host's disk): changing one without the other shows here, even for the last record.
 * The mirror may lag behind the room (entries not yet mirrored), never the reverse.
 */
export function compareWithMirror(
  room: readonly ChainItem[],
  mirror: readonly ChainItem[],
): MirrorDivergence | undefined {
  const roomIndex = new Map(room.map((item, index) => [item.eventId, index]));
  for (const [index, item] of mirror.entries()) {
    const eventId = item.eventId ?? '';
    const at = roomIndex.get(item.eventId);
    if (at === undefined) return { kind: 'missing_in_room', index, eventId };
    if (at !== index) return { kind: at > index ? 'missing_in_mirror' : 'order', index, eventId };
    if (
      !isRecord(item.record) ||
      !isRecord(room[at]!.record) ||
      hashRecord(item.record) !== hashRecord(room[at]!.record as AuditRecord)
    ) {
      return { kind: 'modified', index, eventId };
    }
  }
  return undefined;
}

/** A one-line French description of a break, for the command line and the supervisors room. */
export function describeBreak(report: ChainReport): string {
  const broken = report.firstBreak;
  if (!broken) return `Chaîne intègre : ${report.count} entrée(s), dernière empreinte ${report.head}.`;
  const where = `entrée n°${broken.index}${broken.eventId ? ` (${broken.eventId})` : ''}`;
  switch (broken.kind) {
    case 'prev_mismatch':
      return `Maillon rompu à l'${where} : empreinte attendue ${broken.expected}, trouvée ${broken.found}. L'entrée précédente a été modifiée, ou une entrée a été retirée ou insérée.`;
    case 'fork':
      return `Bifurcation à l'${where} : elle suit l'entrée n°${broken.forkOf} au lieu de la précédente : une entrée a été insérée, ou deux écrivains ont écrit en même temps.`;
    case 'malformed':
      return `Entrée illisible à l'${where}.`;
    case 'foreign_sender':
      return `Entrée écrite par un autre compte que le service à l'${where}.`;
  }
}
