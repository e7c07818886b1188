/**
 * Openings in arrival order with a bounded number at once. Under a burst, Synapse serves a few openings fast
 * instead of all of them slowly: the first to arrive get their first question first (first come, first served)
 * rather than everyone together at the end. Tasks are started strictly in the order they were submitted.
 */
export class Admission {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit || this.waiting.length > 0)
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next in line, so a newcomer can never overtake it.
      if (next) next();
      else this.running--;
    }
  }

  /** Openings running or waiting: background work (the room pool's refill) yields while this is not 0. */
  get busy(): number {
    return this.running + this.waiting.length;
  }

  /** Openings running now, and waiting for a slot (the metrics: a long line means the limit or Synapse is short). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
