/**
 * Fixed-window counters per key (client address, guest). In memory: limits are a brake on floods, not state
 * worth keeping across restarts.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(limit: number, windowSeconds: number, now: () => number = Date.now) {
    this.limit = limit;
    this.windowMs = windowSeconds * 1000;
    this.now = now;
  }

  /** Counts one hit; returns the seconds to wait when over the limit, else undefined. */
  hit(key: string): number | undefined {
    const { count, resetInSeconds } = this.count(key);
    return count > this.limit ? resetInSeconds : undefined;
  }

  /** Counts one hit; returns how many the window holds now (this one included) and when it ends. */
  count(key: string): { count: number; resetInSeconds: number } {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, window);
      if (this.windows.size > 50_000) this.prune(now);
    }
    window.count++;
    return { count: window.count, resetInSeconds: Math.ceil((window.resetAt - now) / 1000) };
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}

export type Pace =
  { kind: 'free' } | { kind: 'slowed'; delayMs: number } | { kind: 'refused'; retryAfterSeconds: number };

export interface OpeningPaceOptions {
  /** Openings per key and window that go through at once. */
  soft: number;
  /** Past this many in a window, openings are refused until it ends. */
  hard: number;
  /** Each opening past the soft limit waits this much longer than the one before… */
  stepMs: number;
  /** …up to this. */
  maxDelayMs: number;
  windowSeconds: number;
}

/**
 * Openings per client address: a school or a mobile carrier puts hundreds of young people behind one address,
 * so past the soft limit an opening is slowed (the k-th one past it waits k steps, up to a ceiling) rather than
 * refused, and only the hard bound, which no school or carrier reaches, refuses (docs/personal-data.md, "Openings
 * from one address").
 */
export class OpeningPace {
  private readonly counter: RateLimiter;
  private readonly options: OpeningPaceOptions;

  constructor(options: OpeningPaceOptions, now: () => number = Date.now) {
    this.options = options;
    this.counter = new RateLimiter(options.hard, options.windowSeconds, now);
  }

  hit(key: string): Pace {
    const { count, resetInSeconds } = this.counter.count(key);
    if (count > this.options.hard) return { kind: 'refused', retryAfterSeconds: resetInSeconds };
    if (count <= this.options.soft) return { kind: 'free' };
    return {
      kind: 'slowed',
      delayMs: Math.min(this.options.maxDelayMs, (count - this.options.soft) * this.options.stepMs),
    };
  }
}
