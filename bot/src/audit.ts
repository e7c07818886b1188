import { createHash } from 'node:crypto';
import { EventType, FORCES, type Force } from '@espace-mineurs/protocol';
import { logger } from './log.ts';
import { stableTxnId, type Matrix, type RawEvent } from './matrix/client.ts';
import type { KeyedQueue } from './locks.ts';
import type { AuditMirror } from './safety/audit-mirror.ts';
import { readAuditRoom } from './safety/audit-verify.ts';

const log = logger.child({ module: 'audit' });

/** One audit entry: who did what to which conversation, when. Never message content. */
export interface AuditEntry {
  actor: string;
  action: string;
  conversation?: string;
  at: number;
  /** Small, non-content facts: outcome code, target force, ticket. */
  details?: Record<string, string | number | boolean>;
}

export interface AuditRecord extends AuditEntry {
  /** sha256 of the previous record of this force's chain (canonical JSON), or "genesis". */
  prev: string;
}

/** Canonical JSON (sorted keys), so a verifier recomputes the same hash from what Matrix serves. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function hashRecord(record: AuditRecord): string {
  return createHash('sha256').update(canonicalJson(record)).digest('hex');
}

interface Head {
  hash: string;
  /** Audit events already in the room: a replayed write answers with one of these and must not move the head. */
  known: Set<string>;
}

/**
 * Append-only, hash-chained audit log in each force's audit room (only the bot may write there). Writes are
 * serialized per force; each carries a transaction id derived from what caused it, so a replay after a crash
 * finds the entry already written instead of adding a second one.
 */
export class AuditLog {
  private readonly matrix: Matrix;
  private readonly rooms: Record<Force, string>;
  private readonly locks: KeyedQueue;
  private readonly heads = new Map<Force, Head>();
  /** JSON-lines copies on the bot's disk (`<stateDir>/audit/<force>.jsonl`), checked by `audit verify`. */
  private readonly mirrors: Partial<Record<Force, AuditMirror>>;

  constructor(matrix: Matrix, rooms: Record<Force, string>, locks: KeyedQueue, mirrors: Partial<Record<Force, AuditMirror>> = {}) {
    this.matrix = matrix;
    this.rooms = rooms;
    this.locks = locks;
    this.mirrors = mirrors;
  }

  async load(): Promise<void> {
    for (const force of FORCES) {
      const response = await this.matrix.messages(this.rooms[force], { dir: 'b', limit: 100, filter: JSON.stringify({ types: [EventType.Audit] }) });
      const events: RawEvent[] = response.chunk.filter((event) => event.type === EventType.Audit && event.sender === this.matrix.userId);
      const last = events[0];
      this.heads.set(force, {
        hash: last ? hashRecord(last.content as unknown as AuditRecord) : 'genesis',
        known: new Set(events.map((event) => event.event_id)),
      });
      // A crash between a Matrix send and its mirror line, or a mirror started late: copy what is missing.
      const mirror = this.mirrors[force];
      if (mirror) {
        const appended = await mirror.catchUp(force, (await readAuditRoom(this.matrix, this.rooms[force])).filter((item) => item.sender === this.matrix.userId));
        if (appended) log.info({ force, appended }, 'audit mirror caught up');
      }
    }
  }

  /**
   * Writes one entry to the given forces' logs (both, for actions before routing); `cause` makes it idempotent.
   * Awaited by handlers before they record their own progress: a replayed cause whose progress says "done" must
   * find its audit entry already written.
   */
  async write(forces: readonly Force[], cause: string, entry: AuditEntry): Promise<void> {
    await Promise.all(forces.map((force) => this.append(force, cause, entry)));
  }

  /** Kept for callers that want to be sure nothing is in flight (writes are awaited, so this is immediate). */
  async flush(): Promise<void> {}

  private append(force: Force, cause: string, entry: AuditEntry): Promise<void> {
    return this.locks.run(`audit:${force}`, async () => {
      const head = this.heads.get(force) ?? { hash: 'genesis', known: new Set<string>() };
      const record: AuditRecord = { ...entry, prev: head.hash };
      const eventId = await this.matrix.send(this.rooms[force], EventType.Audit, record as unknown as Record<string, unknown>, stableTxnId('audit', cause, entry.action));
      if (head.known.has(eventId)) return;
      head.known.add(eventId);
      head.hash = hashRecord(record);
      this.heads.set(force, head);
      // The room is the reference; a mirror that cannot be written is caught up at the next start.
      await this.mirrors[force]?.append(force, eventId, this.matrix.userId, record).catch((error: unknown) => log.error({ force, err: (error as Error).message }, 'could not write the audit mirror'));
      log.debug({ force, action: entry.action }, 'audited');
    });
  }
}
