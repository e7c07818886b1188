import type { Logger } from 'pino';
import type { Admission } from './admission.ts';

const BUSY_PAUSE_MS = 250;
const FAILURE_PAUSE_MS = 5_000;

/**
 * Young people's rooms created ahead of demand, so an opening is a marker and an invite instead of a createRoom
 * (about ten events for Synapse to persist while the young person waits). One pool for both forces: the force
 * is chosen after the triage, and a room's settings do not depend on it.
 *
 * A pooled room holds its settings, the triage status and `CreationKey.PooledRoom` in its create event; nothing personal, nobody but the
 * bot. It becomes a conversation when the marker naming its guest is written (intake/open.ts), which is also
 * what makes a restart see it as one; until then a restart finds it again by that mark (state/rebuild.ts)
 * and puts it back. So a room is never lost to the pool, never handed out twice (take() is synchronous), and one
 * never handed out holds nothing retention would have to delete.
 */
export class RoomPool {
  private readonly ready: string[] = [];
  private filling: Promise<void> | undefined;
  private stopped = false;
  private readonly target: number;
  private readonly admission: Admission;
  /** Creates one ready room (intake/room.ts `createPooledRoom`) and returns its id. */
  private readonly create: () => Promise<string>;
  private readonly log: Logger;

  constructor(options: { target: number; admission: Admission; create: () => Promise<string>; log: Logger }) {
    this.target = options.target;
    this.admission = options.admission;
    this.create = options.create;
    this.log = options.log;
  }

  get size(): number {
    return this.ready.length;
  }

  /** A room found again at start (the pool's mark, no conversation marker). */
  add(roomId: string): void {
    if (!this.ready.includes(roomId)) this.ready.push(roomId);
  }

  /** The oldest ready room, now reserved for the caller, or undefined when the pool is empty. */
  take(): string | undefined {
    return this.ready.shift();
  }

  /**
   * Tops the pool up in the background, one room at a time, and only while no opening is running or waiting:
   * under a burst Synapse's time goes to the young people, the refill resumes once they are served (past half full, at half pace).
   */
  refill(): void {
    if (this.stopped || this.filling || this.ready.length >= this.target) return;
    this.filling = (async () => {
      while (!this.stopped && this.ready.length < this.target) {
        if (this.admission.busy > 0) {
          await sleep(BUSY_PAUSE_MS);
          continue;
        }
        try {
          const started = Date.now();
          this.ready.push(await this.create());
          // Past half full, as long again before the next one: a loaded Synapse (slow creations) gets the rest of
          // the refill at half pace, so the conversations under way keep most of its time.
          if (this.ready.length * 2 > this.target) await sleep(Date.now() - started);
        } catch (error) {
          this.log.warn({ err: (error as Error).message }, 'could not create a pooled room');
          await sleep(FAILURE_PAUSE_MS);
        }
      }
    })().finally(() => {
      this.filling = undefined;
    });
  }

  /** Stops refilling; a room being created is finished (a restart finds it again by its marker). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.filling;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
