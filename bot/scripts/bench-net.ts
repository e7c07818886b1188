/**
 * Raw HTTP for the arrivals bench (`bench-arrivals.ts`): every simulated person has its own loopback source
 * address (the whole 127.0.0.0/8 range is on the loopback interface), as every phone has its own address, so
 * Synapse's per-address limits and the bot's per-address opening limit see distinct clients. The bot under test
 * trusts no proxy (ESPACE_TRUST_PROXY=0): the address it keys on is the connection's own.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { Ev, Json } from './bench-support.ts';

/** The k-th distinct loopback address, 127.20.0.1 upwards (no .0, no .255 in any octet). */
export function loopbackAddress(k: number): string {
  return `127.${20 + Math.floor(k / 62_500)}.${(Math.floor(k / 250) % 250) + 1}.${(k % 250) + 1}`;
}

/** An HTTP client bound to one source address, with keep-alive connections (as a phone's browser keeps them). */
export class Client {
  readonly address: string;
  private readonly agent: Agent;

  constructor(address: string) {
    this.address = address;
    this.agent = new Agent({ keepAlive: true, localAddress: address, maxSockets: 4 });
  }

  async call<T = Json>(
    base: string,
    method: string,
    path: string,
    token?: string,
    body?: unknown,
    timeoutMs = 120_000,
  ): Promise<{ status: number; body: T }> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        `${base}${path}`,
        {
          method,
          agent: this.agent,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}),
          },
          timeout: timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({ status: response.statusCode ?? 0, body: (text ? JSON.parse(text) : {}) as T });
            } catch {
              resolve({ status: response.statusCode ?? 0, body: {} as T });
            }
          });
          response.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(data);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

const SYNC_FILTER = encodeURIComponent(
  JSON.stringify({
    presence: { not_types: ['*'] },
    account_data: { not_types: ['*'] },
    room: { timeline: { limit: 1000 }, ephemeral: { not_types: ['*'] }, account_data: { not_types: ['*'] } },
  }),
);

let txn = 0;

/** One person's Matrix session from its own address: sends, and a /sync loop that keeps timeline events per room. */
export class Session {
  readonly events = new Map<string, Ev[]>();
  readonly client: Client;
  readonly base: string;
  readonly token: string;
  readonly userId: string;
  private since: string | undefined;
  private running = false;
  private looping: Promise<void> | undefined;
  private caughtUp: (() => void) | undefined;
  /** The long poll's timeout; 0 for the first request after `resume`, which must not wait for news. */
  private pollMs = 20_000;
  private waiters: Array<() => void> = [];

  constructor(client: Client, base: string, token: string, userId: string) {
    this.client = client;
    this.base = base;
    this.token = token;
    this.userId = userId;
  }

  call<T = Json>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    return this.client.call<T>(this.base, method, path, this.token, body);
  }

  async send(roomId: string, content: Json, type = 'm.room.message'): Promise<void> {
    const response = await this.call(
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(type)}/a${Date.now()}-${txn++}`,
      content,
    );
    if (response.status !== 200) throw new Error(`send ${response.status}`);
  }

  /** Starts syncing from now on (the first sync is an initial one, its timeline kept too). */
  async start(): Promise<void> {
    const first = await this.call<{
      next_batch: string;
      rooms?: { join?: Record<string, { timeline?: { events?: Ev[] } }> };
    }>('GET', `/_matrix/client/v3/sync?timeout=0&filter=${SYNC_FILTER}`);
    if (first.status !== 200) throw new Error(`sync ${first.status}`);
    this.absorb(first.body);
    this.running = true;
    this.looping = this.loop();
  }

  /** Stops syncing and waits for the long poll in flight to end; `resume` goes on from the same position. */
  async pause(): Promise<void> {
    this.running = false;
    await this.looping;
  }

  /** Syncs again from where `pause` left; resolves once the first answer (all that happened since) is read. */
  resume(): Promise<void> {
    const caughtUp = new Promise<void>((resolve) => (this.caughtUp = resolve));
    this.pollMs = 0;
    this.running = true;
    this.looping = this.loop();
    return caughtUp;
  }

  private absorb(body: {
    next_batch: string;
    rooms?: { join?: Record<string, { timeline?: { events?: Ev[] } }> };
  }): void {
    this.since = body.next_batch;
    for (const [roomId, room] of Object.entries(body.rooms?.join ?? {})) {
      const list = this.events.get(roomId) ?? [];
      list.push(...(room.timeline?.events ?? []));
      this.events.set(roomId, list);
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const response = await this.client.call<{ next_batch: string }>(
          this.base,
          'GET',
          `/_matrix/client/v3/sync?timeout=${this.pollMs}&since=${this.since}&filter=${SYNC_FILTER}`,
          this.token,
          undefined,
          60_000,
        );
        if (response.status !== 200) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          continue;
        }
        this.absorb(response.body);
        this.pollMs = 20_000;
        this.caughtUp?.();
        this.caughtUp = undefined;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  async waitFor(roomId: string, predicate: (events: Ev[]) => boolean, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events.get(roomId) ?? [])) {
      if (Date.now() > deadline) throw new Error('timeout');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 1000);
      });
    }
  }

  /** Forgets what was read in a room (a long held run would keep every event otherwise). */
  forget(roomId: string): void {
    this.events.delete(roomId);
  }

  stop(): void {
    this.running = false;
  }
}

/** Resident memory of a process in MiB, from /proc; undefined when it cannot be read. */
export function rssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((item: string) => item.startsWith('VmRSS:'));
    return line ? Number(line.replace(/\D+/g, '')) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
