import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { logger } from '../log.ts';
import type { Matrix, RawEvent } from './client.ts';

const log = logger.child({ module: 'sync' });

interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, { timeline?: { events?: RawEvent[]; limited?: boolean; prev_batch?: string } }>;
    leave?: Record<string, unknown>;
  };
}

/** Timeline events per room, oldest first. */
export type SyncBatch = Map<string, RawEvent[]>;

/** The bot reacts to others only: its own events are already in its memory, so Synapse need not send them. */
function filterFor(userId: string): string {
  return JSON.stringify({
    presence: { not_types: ['*'] },
    account_data: { not_types: ['*'] },
    room: {
      timeline: { limit: 100, not_senders: [userId] },
      state: { not_types: ['*'] },
      ephemeral: { not_types: ['*'] },
      account_data: { not_types: ['*'] },
    },
  });
}

/**
 * Batches being handled at once; the next sync waits when this many are unfinished. High, so one slow chain (the
 * audit log is written one entry at a time per force) never holds up other conversations.
 */
const MAX_IN_FLIGHT = 64;

const FIRST_FILTER = JSON.stringify({
  presence: { not_types: ['*'] },
  account_data: { not_types: ['*'] },
  room: { rooms: [] },
});

/** How the loop is doing, read by /metrics and /readyz. */
export interface SyncHealth {
  /** When the last sync answered (ms since the epoch); the start of the loop until then. */
  lastSuccessAt: number;
  /** Syncs failed in a row since then (0 while the homeserver answers). */
  consecutiveFailures: number;
}

/**
 * Our own sync loop instead of matrix-bot-sdk's: the SDK saves the sync position before its handlers finish, so
 * an event could be lost in a crash. Here the position is saved only after every handler of the batch has
 * finished; a crash replays the batch, and handlers are idempotent on event id. At-least-once delivery plus
 * idempotent handlers gives exactly-once effects.
 */
export class SyncLoop {
  private readonly matrix: Matrix;
  private readonly tokenFile: string;
  private readonly handle: (batch: SyncBatch) => Promise<void>;
  private abort = new AbortController();
  private stopped = false;
  private running: Promise<void> | undefined;
  private since: string | undefined;
  private lastSuccessAt = Date.now();
  private failures = 0;

  constructor(matrix: Matrix, tokenFile: string, handle: (batch: SyncBatch) => Promise<void>) {
    this.matrix = matrix;
    this.tokenFile = tokenFile;
    this.handle = handle;
  }

  private readToken(): string | undefined {
    if (!existsSync(this.tokenFile)) return undefined;
    const saved = JSON.parse(readFileSync(this.tokenFile, 'utf8')) as { since?: unknown; userId?: unknown };
    return typeof saved.since === 'string' && saved.userId === this.matrix.userId ? saved.since : undefined;
  }

  private saveToken(since: string): void {
    const temporary = `${this.tokenFile}.tmp`;
    writeFileSync(temporary, JSON.stringify({ since, userId: this.matrix.userId }) + '\n', { mode: 0o600 });
    renameSync(temporary, this.tokenFile);
  }

  private async sync(params: Record<string, string>): Promise<SyncResponse> {
    return this.matrix.sync<SyncResponse>(params, this.abort.signal);
  }

  health(): SyncHealth {
    return { lastSuccessAt: this.lastSuccessAt, consecutiveFailures: this.failures };
  }

  /** Resolves once the starting position is known; the loop then runs until stop(). */
  async start(): Promise<void> {
    this.since = this.readToken();
    if (!this.since) {
      // First start of this bot: nothing to catch up on; the engine rebuilds state from room state anyway.
      const first = await this.sync({ filter: FIRST_FILTER, timeout: '0' });
      this.since = first.next_batch;
      this.saveToken(this.since);
    }
    this.lastSuccessAt = Date.now();
    this.running = this.loop();
  }

  /** Fetches the events a limited timeline skipped, between our last position and the timeline's start. */
  private async fillGap(roomId: string, prevBatch: string, since: string): Promise<RawEvent[]> {
    const missed: RawEvent[] = [];
    let from: string | undefined = prevBatch;
    for (let page = 0; from && page < 50; page++) {
      const response = await this.matrix.messages(roomId, { dir: 'b', from, to: since, limit: 100 });
      if (response.chunk.length === 0) break;
      missed.push(...response.chunk);
      from = response.end;
    }
    return missed.reverse();
  }

  /**
   * Batches are handled while the next sync runs (conversations do not wait for one another), but positions are
   * saved in order: a position is written only once its batch and every earlier one are fully handled.
   */
  private async loop(): Promise<void> {
    let saved: Promise<void> = Promise.resolve();
    let inFlight = 0;
    const filter = filterFor(this.matrix.userId);
    while (!this.stopped) {
      try {
        const since = this.since!;
        const response = await this.sync({ filter, since, timeout: '25000' });
        if (this.stopped) break;
        this.lastSuccessAt = Date.now();
        const batch: SyncBatch = new Map();
        for (const [roomId, room] of Object.entries(response.rooms?.join ?? {})) {
          let events = room.timeline?.events ?? [];
          if (room.timeline?.limited && room.timeline.prev_batch) {
            const missed = await this.fillGap(roomId, room.timeline.prev_batch, since);
            const seen = new Set(events.map((event) => event.event_id));
            events = [...missed.filter((event) => !seen.has(event.event_id)), ...events];
            log.info({ roomId, missed: missed.length }, 'filled a gap in a limited timeline');
          }
          if (events.length > 0) batch.set(roomId, events);
        }
        const next = response.next_batch;
        const handled = batch.size > 0 ? this.handle(batch) : Promise.resolve();
        inFlight++;
        saved = saved
          .then(() => handled)
          .then(() => {
            if (!this.stopped) this.saveToken(next);
          })
          .finally(() => {
            inFlight--;
          });
        this.since = next;
        this.failures = 0;
        if (inFlight >= MAX_IN_FLIGHT) await saved;
      } catch (error) {
        if (this.stopped) break;
        this.failures++;
        log.error(
          { err: error instanceof Error ? error.message : String(error), failures: this.failures },
          'sync failed; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** this.failures, 15_000)));
      }
    }
    await saved.catch(() => {});
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.running?.catch(() => {});
  }
}
