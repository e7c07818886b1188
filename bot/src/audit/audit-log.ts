import {
  AuditRecord as AuditRecordSchema,
  EventType,
  FORCES,
  parseContent,
  type AuditRecordContent,
  type Force,
} from '@espace-mineurs/protocol';
import { logger } from '../log.ts';
import { stableTxnId, type Matrix, type RawEvent } from '../matrix/client.ts';
import type { KeyedQueue } from '../runtime/locks.ts';
import type { AuditOutbox } from './outbox.ts';
import { crashPoint } from '../runtime/fault.ts';
import { statusOf } from '../matrix/errors.ts';
import type { AuditMirror } from './mirror.ts';
import { readAuditRoom } from './verify.ts';
import { hashRecord, type AuditEntry, type AuditRecord } from './chain.ts';
import { auditBody, type AuditNamer } from './body.ts';

const log = logger.child({ module: 'audit' });

export { canonicalJson, hashRecord, type AuditEntry, type AuditRecord } from './chain.ts';

/**
 * The last record of a chain, validated before its hash is taken: the next link names that hash, so a head that is
 * not a record the bot wrote must stop the start (`audit verify` says where the chain broke) rather than be
 * extended.
 */
function headRecord(force: Force, event: RawEvent): AuditRecordContent {
  const parsed = parseContent(AuditRecordSchema, event.content);
  if (!parsed.ok)
    throw new Error(
      `the last ${force} audit record (${event.event_id}) is not a valid record (${parsed.error}): run the admin command line's audit verify`,
    );
  return parsed.value;
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
  /** Durable queues in front of the rooms (the running bot); without one, `write` sends before it returns. */
  private readonly outboxes: Partial<Record<Force, AuditOutbox>>;
  private readonly draining = new Map<Force, Promise<void>>();
  private stopped = false;
  /** Names actors and tickets in each record's readable body; set by the running bot once its store exists. */
  namer: AuditNamer | undefined;

  constructor(
    matrix: Matrix,
    rooms: Record<Force, string>,
    locks: KeyedQueue,
    mirrors: Partial<Record<Force, AuditMirror>> = {},
    outboxes: Partial<Record<Force, AuditOutbox>> = {},
  ) {
    this.matrix = matrix;
    this.rooms = rooms;
    this.locks = locks;
    this.mirrors = mirrors;
    this.outboxes = outboxes;
  }

  async load(): Promise<void> {
    for (const force of FORCES) {
      const response = await this.matrix.messages(this.rooms[force], {
        dir: 'b',
        limit: 100,
        filter: JSON.stringify({ types: [EventType.Audit] }),
      });
      const events: RawEvent[] = response.chunk.filter(
        (event) => event.type === EventType.Audit && this.matrix.isOwn(event.sender),
      );
      const last = events[0];
      this.heads.set(force, {
        hash: last ? hashRecord(headRecord(force, last)) : 'genesis',
        known: new Set(events.map((event) => event.event_id)),
      });
      // A crash between a Matrix send and its mirror line, or a mirror started late: copy what is missing.
      const mirror = this.mirrors[force];
      if (mirror) {
        const appended = await mirror.catchUp(
          force,
          (await readAuditRoom(this.matrix, this.rooms[force])).filter(
            (item) => item.sender !== undefined && this.matrix.isOwn(item.sender),
          ),
        );
        if (appended) log.info({ force, appended }, 'audit mirror caught up');
      }
      // Entries a crash left unsent go out first, in their order.
      const outbox = this.outboxes[force];
      if (outbox) {
        outbox.load();
        if (outbox.size) log.info({ force, pending: outbox.size }, 'sending audit entries left by the last run');
        this.drain(force);
      }
    }
  }

  /**
   * Writes one entry to the given forces' logs (both, for actions before routing); `cause` makes it idempotent.
   * Awaited by handlers before they record their own progress: a replayed cause whose progress says "done" must
   * find its audit entry already written. With an outbox, "written" means fsynced there: the entry reaches the
   * audit room shortly after, in order, and after a crash at the next start.
   */
  async write(forces: readonly Force[], cause: string, written: AuditEntry): Promise<void> {
    // The body is fixed when the action happens (and kept in the outbox), so a replay sends the same record.
    const entry: AuditEntry = { ...written, body: written.body ?? auditBody(written, this.namer) };
    await Promise.all(
      forces.map((force) => {
        const outbox = this.outboxes[force];
        if (!outbox) return this.append(force, cause, entry);
        if (outbox.add(cause, entry)) {
          crashPoint('audit-after-outbox');
          this.drain(force);
        }
        return undefined;
      }),
    );
  }

  /** Resolves once every entry written so far is in its audit room (immediate without outboxes). */
  async flush(): Promise<void> {
    for (;;) {
      const running = [...this.draining.values()];
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  /** Entries written but not yet in their audit room, per force (a metric: how far the chain lags). */
  backlog(): Record<Force, number> {
    return { police: this.outboxes.police?.size ?? 0, gendarmerie: this.outboxes.gendarmerie?.size ?? 0 };
  }

  /** Stops sending after waiting up to `timeoutMs` for the backlog; what is left goes out at the next start. */
  async close(timeoutMs = 5_000): Promise<void> {
    await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    this.stopped = true;
    await Promise.all([...this.draining.values()]);
    for (const outbox of Object.values(this.outboxes)) outbox?.close();
  }

  /**
   * Sends a force's outbox in order, one entry at a time (each names the hash of the one before). A refusal that
   * no retry can change (4xx other than 429) is logged and skipped so it cannot stop the chain forever; anything
   * else (Synapse down, overloaded) is retried with backoff until it goes through.
   */
  private drain(force: Force): void {
    const outbox = this.outboxes[force];
    if (!outbox || this.draining.has(force) || this.stopped) return;
    const run = (async () => {
      let failures = 0;
      while (!this.stopped) {
        const item = outbox.peek();
        if (!item) return;
        try {
          await this.append(force, item.cause, item.entry);
          outbox.done(item.seq);
          failures = 0;
        } catch (error) {
          const status = statusOf(error);
          if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
            log.error({ force, action: item.entry.action, status }, 'the audit room refused an entry; skipped');
            outbox.done(item.seq);
            continue;
          }
          failures++;
          log.warn({ force, status, failures }, 'could not send an audit entry; retrying');
          await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** failures, 30_000)));
        }
      }
    })().finally(() => {
      this.draining.delete(force);
      if (outbox.size > 0 && !this.stopped) this.drain(force);
    });
    this.draining.set(force, run);
  }

  private append(force: Force, cause: string, entry: AuditEntry): Promise<void> {
    return this.locks.run(`audit:${force}`, async () => {
      const head = this.heads.get(force) ?? { hash: 'genesis', known: new Set<string>() };
      const record: AuditRecord = { ...entry, prev: head.hash };
      const eventId = await this.matrix.send(
        this.rooms[force],
        EventType.Audit,
        record as unknown as Record<string, unknown>,
        stableTxnId('audit', cause, entry.action),
      );
      if (head.known.has(eventId)) return;
      head.known.add(eventId);
      head.hash = hashRecord(record);
      this.heads.set(force, head);
      // The room is the reference; a mirror that cannot be written is caught up at the next start.
      await this.mirrors[force]
        ?.append(force, eventId, this.matrix.userIdIn(this.rooms[force]), record)
        .catch((error: unknown) =>
          log.error({ force, err: (error as Error).message }, 'could not write the audit mirror'),
        );
      log.debug({ force, action: entry.action }, 'audited');
    });
  }
}
