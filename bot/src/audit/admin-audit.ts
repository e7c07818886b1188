import { randomUUID } from 'node:crypto';
import { AuditRecord as AuditRecordSchema, EventType, parseContent, type Force } from '@espace-mineurs/protocol';
import { hashRecord, type AuditEntry, type AuditRecord } from './chain.ts';
import { GENESIS } from './verify.ts';
import { roomMessages, sendRoomEvent, type Homeserver } from '../matrix/homeserver.ts';
import type { Auditor } from '../runtime/safety.ts';

/**
 * A second chain in each force's audit room, for actions taken outside the running bot (the admin command
 * line). A hash chain needs a single writer: if the command line appended to the bot's chain, the bot (whose
 * head is in memory) would append its next entry after the old head, and every verification would report a
 * fork. Its own event type gives it its own chain, verified the same way, in the same room supervisors read.
 */
export const ADMIN_AUDIT_EVENT = EventType.AuditAdmin;

/** The audit chains a force's audit room holds. */
export const AUDIT_CHAINS = [
  { name: 'bot', type: EventType.Audit },
  { name: 'admin', type: ADMIN_AUDIT_EVENT },
] as const;

async function head(hs: Homeserver, roomId: string, type: string): Promise<string> {
  const page = await roomMessages<{ type: string; sender: string; content: unknown }>(hs, roomId, {
    dir: 'b',
    limit: 1,
    filter: JSON.stringify({ types: [type] }),
  });
  const last = page.chunk?.find((event) => event.type === type);
  if (!last) return GENESIS;
  // Validated before it is hashed: the next link names this hash (see the bot's head in audit-log.ts).
  const parsed = parseContent(AuditRecordSchema, last.content);
  if (!parsed.ok)
    throw new Error(`the last ${type} record of ${roomId} is not a valid record (${parsed.error}): run audit verify`);
  return hashRecord(parsed.value);
}

/** Appends to the admin chain, reading the head from the room each time (each command is a fresh process). */
export class AdminAuditLog implements Auditor {
  private readonly hs: Homeserver;
  private readonly rooms: Record<Force, string>;
  private readonly onWritten: ((force: Force, eventId: string, record: AuditRecord) => Promise<unknown>) | undefined;

  constructor(
    hs: Homeserver,
    rooms: Record<Force, string>,
    onWritten?: (force: Force, eventId: string, record: AuditRecord) => Promise<unknown>,
  ) {
    this.hs = hs;
    this.rooms = rooms;
    this.onWritten = onWritten;
  }

  async write(forces: readonly Force[], _cause: string, entry: AuditEntry): Promise<void> {
    for (const force of forces) {
      const record: AuditRecord = { ...entry, prev: await head(this.hs, this.rooms[force], ADMIN_AUDIT_EVENT) };
      const eventId = await sendRoomEvent(
        this.hs,
        this.rooms[force],
        ADMIN_AUDIT_EVENT,
        record,
        `admin-${randomUUID()}`,
      );
      await this.onWritten?.(force, eventId, record);
    }
  }
}
