/** Helpers of the benchmark (`bench.ts`): a minimal HTTP and /sync client, percentiles, CPU and event counts. */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { execFileSync } from 'node:child_process';
import { commandResultIn, type CommandResultContent } from '@espace-mineurs/protocol';

export type Json = Record<string, unknown>;
export interface Ev {
  event_id: string;
  type: string;
  sender: string;
  content: Json;
  state_key?: string;
  origin_server_ts?: number;
}

export async function http<T = Json>(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

// A limited timeline would drop events: at 200 at once the shared floor room receives hundreds between two syncs.
const SYNC_FILTER = encodeURIComponent(
  JSON.stringify({
    presence: { not_types: ['*'] },
    room: { timeline: { limit: 1000 }, ephemeral: { not_types: ['*'] } },
  }),
);

/** A minimal /sync client, as a chat client runs one: keeps every timeline event per room and wakes up waiters. */
export class SyncClient {
  readonly events = new Map<string, Ev[]>();
  readonly token: string;
  readonly userId: string;
  private since: string | undefined;
  private stopped = false;
  private waiters: Array<() => void> = [];
  private readonly base: string;

  constructor(base: string, token: string, userId: string) {
    this.base = base;
    this.token = token;
    this.userId = userId;
  }

  async start(): Promise<void> {
    const first = await http<{ next_batch: string }>(
      this.base,
      'GET',
      `/_matrix/client/v3/sync?timeout=0&filter=${SYNC_FILTER}`,
      this.token,
    );
    this.since = first.body.next_batch;
    void (async () => {
      while (!this.stopped) {
        try {
          const response = await http<{
            next_batch: string;
            rooms?: { join?: Record<string, { timeline?: { events?: Ev[] } }> };
          }>(
            this.base,
            'GET',
            `/_matrix/client/v3/sync?timeout=20000&since=${this.since}&filter=${SYNC_FILTER}`,
            this.token,
          );
          if (response.status !== 200) {
            await new Promise((resolve) => setTimeout(resolve, 200));
            continue;
          }
          this.since = response.body.next_batch;
          for (const [roomId, room] of Object.entries(response.body.rooms?.join ?? {})) {
            const list = this.events.get(roomId) ?? [];
            list.push(...(room.timeline?.events ?? []));
            this.events.set(roomId, list);
          }
          const waiters = this.waiters;
          this.waiters = [];
          for (const wake of waiters) wake();
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    })();
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

  stop(): void {
    this.stopped = true;
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function row(name: string, values: number[], errors = 0): string {
  const f = (n: number) => (Number.isNaN(n) ? '—' : n.toFixed(0));
  return `| ${name.padEnd(56)} | ${String(values.length).padStart(4)} | ${f(percentile(values, 50)).padStart(6)} | ${f(percentile(values, 95)).padStart(6)} | ${f(percentile(values, 99)).padStart(6)} | ${String(errors).padStart(6)} |`;
}

export const HEADER = `| ${'step (ms)'.padEnd(56)} | ${'n'.padStart(4)} | ${'p50'.padStart(6)} | ${'p95'.padStart(6)} | ${'p99'.padStart(6)} | ${'errors'.padStart(6)} |\n|${'-'.repeat(58)}|------|--------|--------|--------|--------|`;

let txnCounter = 0;
export async function sendText(
  base: string,
  token: string,
  roomId: string,
  body: string,
  extra: Json = {},
): Promise<void> {
  const response = await http(
    base,
    'PUT',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b${Date.now()}-${txnCounter++}`,
    token,
    { msgtype: 'm.text', body, ...extra },
  );
  if (response.status !== 200) throw new Error(`send ${response.status}`);
}

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far, from /proc; undefined when it cannot be read. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Measures CPU use of Synapse and of this process (bot and bench clients together) over a stretch of time. */
export function cpuMeter(synapsePid: number | undefined): () => string {
  const wall0 = performance.now();
  const synapse0 = processCpuSeconds(synapsePid);
  const node0 = process.cpuUsage();
  return () => {
    const wall = (performance.now() - wall0) / 1000;
    const synapse1 = processCpuSeconds(synapsePid);
    const node = process.cpuUsage(node0);
    const synapse =
      synapse0 !== undefined && synapse1 !== undefined
        ? `Synapse ${(((synapse1 - synapse0) / wall) * 100).toFixed(0)} %`
        : 'Synapse CPU unknown';
    return `CPU over ${wall.toFixed(1)} s: ${synapse} of one core, bot + bench clients ${(((node.user + node.system) / 1e6 / wall) * 100).toFixed(0)} %`;
  };
}

/** The current end of a room's timeline, to read what comes after it later. */
export async function timelineEnd(base: string, token: string, roomId: string): Promise<string> {
  const response = await http<{ start: string }>(
    base,
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1`,
    token,
  );
  return response.body.start;
}

/** Every event of a room after `from` (or from its creation), oldest first. */
export async function readTimeline(base: string, token: string, roomId: string, from?: string): Promise<Ev[]> {
  const events: Ev[] = [];
  let position = from;
  for (let page = 0; page < 1000; page++) {
    const query = `dir=f&limit=1000${position ? `&from=${encodeURIComponent(position)}` : ''}`;
    const response = await http<{ chunk?: Ev[]; end?: string }>(
      base,
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?${query}`,
      token,
    );
    const chunk = response.body.chunk ?? [];
    events.push(...chunk);
    if (chunk.length === 0 || !response.body.end) break;
    position = response.body.end;
  }
  return events;
}

/** Counts events by a label (event type, with who sent messages), for the per-conversation event tables. */
export function countBy(events: Ev[], label: (event: Ev) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) counts.set(label(event), (counts.get(label(event)) ?? 0) + 1);
  return counts;
}

/** Synapse's own account of its CPU, per servlet and per background process: counters read off its metrics. */
export interface SynapseWork {
  /** CPU-seconds (user + system) by servlet (`GET SyncRestServlet`) or background process (`bg persist_events`). */
  cpu: Map<string, number>;
  /** Requests answered, by servlet. */
  requests: Map<string, number>;
  /** Synapse's in-memory caches, by name: lookups, hits, entries evicted for want of room, size and its limit. */
  caches: Map<string, CacheCounters>;
}

export interface CacheCounters {
  lookups: number;
  hits: number;
  evicted: number;
  size: number;
  maxSize: number;
}

const CACHE_LINE = /^synapse_util_caches_cache(_hits|_evicted_size|_size|_max_size)?\{([^}]*)\} (\S+)$/;

const WORK_LINE =
  /^(synapse_http_server_response_ru_[us]time_seconds|synapse_background_process_ru_[us]time_seconds|synapse_http_server_response_count)(?:_total)?\{([^}]*)\} (\S+)$/;

/** Reads Synapse's metrics endpoint (`Homeserver.metricsUrl`); undefined when it cannot be read. */
export async function readSynapseWork(metricsUrl: string | undefined): Promise<SynapseWork | undefined> {
  if (!metricsUrl) return undefined;
  let text: string;
  try {
    const response = await fetch(metricsUrl);
    if (!response.ok) return undefined;
    text = await response.text();
  } catch {
    return undefined;
  }
  const work: SynapseWork = { cpu: new Map(), requests: new Map(), caches: new Map() };
  for (const line of text.split('\n')) {
    const cache = CACHE_LINE.exec(line);
    if (cache) {
      readCacheLine(work.caches, cache[1], cache[2]!, Number(cache[3]));
      continue;
    }
    const match = WORK_LINE.exec(line);
    if (!match) continue;
    const labels = new Map([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((label) => [label[1]!, label[2]!]));
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    const key = match[1]!.startsWith('synapse_background')
      ? `bg ${labels.get('name') ?? '?'}`
      : `${labels.get('method') ?? '?'} ${labels.get('servlet') ?? '?'}`;
    const into = match[1] === 'synapse_http_server_response_count' ? work.requests : work.cpu;
    into.set(key, (into.get(key) ?? 0) + value);
  }
  return work;
}

function readCacheLine(caches: Map<string, CacheCounters>, kind: string | undefined, labels: string, value: number) {
  const name = /name="([^"]*)"/.exec(labels)?.[1];
  if (!name || !Number.isFinite(value)) return;
  let counters = caches.get(name);
  if (!counters) caches.set(name, (counters = { lookups: 0, hits: 0, evicted: 0, size: 0, maxSize: 0 }));
  if (kind === undefined) counters.lookups = value;
  else if (kind === '_hits') counters.hits = value;
  else if (kind === '_size') counters.size = value;
  else if (kind === '_max_size') counters.maxSize = value;
  // Evictions are counted by reason; only "size" says the cache was too small (not expiry, not invalidation).
  else if (/reason="size"/.test(labels)) counters.evicted = value;
}

/**
 * Synapse's caches between two readings: the `top` with the most misses, each with its hit rate, its entries
 * evicted for want of room, and how full it ended. A cache that is full and evicting while it misses is one a
 * larger `caches.global_factor` (or its own factor) would serve; a cache that misses while not full only meets
 * new keys, which no size would help.
 */
export function describeCaches(before: SynapseWork | undefined, after: SynapseWork | undefined, top = 6): string {
  if (!before || !after || after.caches.size === 0) return 'Synapse caches: unknown (no metrics)';
  let lookups = 0;
  let misses = 0;
  const rows = [...after.caches].map(([name, now]) => {
    const then = before.caches.get(name) ?? { lookups: 0, hits: 0, evicted: 0, size: 0, maxSize: 0 };
    const asked = now.lookups - then.lookups;
    const missed = asked - (now.hits - then.hits);
    lookups += asked;
    misses += missed;
    return { name, asked, missed, evicted: now.evicted - then.evicted, size: now.size, maxSize: now.maxSize };
  });
  const worst = rows
    .filter((row) => row.missed > 0)
    .sort((a, b) => b.missed - a.missed)
    .slice(0, top)
    .map(
      (row) =>
        `${row.name} ${row.missed} missed of ${row.asked} (${((1 - row.missed / row.asked) * 100).toFixed(0)} % hits), ` +
        `${row.evicted} evicted for room, ${row.size}${row.maxSize > 0 ? `/${row.maxSize}` : ''}`,
    );
  const rate = lookups > 0 ? `${((1 - misses / lookups) * 100).toFixed(1)} %` : '—';
  return `Synapse caches: ${lookups} lookups, ${rate} hits; most missed: ${worst.length > 0 ? worst.join('; ') : 'none'}`;
}

/**
 * Where Synapse's CPU went between two readings, per conversation: the `top` heaviest servlets and background
 * processes, each with its CPU-seconds per conversation and (for servlets) requests per conversation.
 */
export function describeSynapseWork(
  before: SynapseWork | undefined,
  after: SynapseWork | undefined,
  conversations: number,
  top = 8,
): string {
  if (!before || !after || conversations <= 0) return 'Synapse work by servlet: unknown (no metrics)';
  const delta = [...after.cpu].map(([key, value]) => [key, value - (before.cpu.get(key) ?? 0)] as const);
  const total = delta.reduce((sum, [, value]) => sum + value, 0);
  const heaviest = delta
    .filter(([, value]) => value > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, value]) => {
      const requests = (after.requests.get(key) ?? 0) - (before.requests.get(key) ?? 0);
      const perConversation = requests > 0 ? `, ${(requests / conversations).toFixed(1)} req` : '';
      return `${key} ${((value / conversations) * 1000).toFixed(0)} ms (${((value / total) * 100).toFixed(0)} %${perConversation})`;
    });
  return `Synapse's own CPU accounting, per conversation: ${((total / conversations) * 1000).toFixed(0)} ms in all; ${heaviest.join('; ')}`;
}

/**
 * Synapse's access log, for the bench only (`BENCH_ACCESS_LOG=1`): one line per request with the requester and
 * the CPU it took, which the metrics cannot split by who asked. The production template keeps it silenced (it
 * records addresses); here every client is the bench's own loopback address. The logging configuration is
 * rewritten in the bench's data folder and Synapse reloads it on SIGHUP, so nothing of the project's
 * configuration changes. The access lines go to their own file, never rotated, so a phase reads its byte range.
 */
export async function enableAccessLog(logConfig: string, accessFile: string, synapsePid: number): Promise<void> {
  const config = parseYaml(readFileSync(logConfig, 'utf8')) as {
    handlers: Record<string, unknown>;
    formatters: Record<string, unknown>;
    loggers: Record<string, unknown>;
  };
  config.formatters.bare = { format: '%(message)s' };
  config.handlers.access = { class: 'logging.FileHandler', formatter: 'bare', filename: accessFile, encoding: 'utf8' };
  config.loggers['synapse.access'] = { level: 'INFO', handlers: ['access'], propagate: false };
  writeFileSync(logConfig, stringifyYaml(config), { mode: 0o600 });
  process.kill(synapsePid, 'SIGHUP');
  // The reload is asynchronous; a request answered after it shows that it took.
  for (let attempt = 0; attempt < 50; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (existsSync(accessFile) && statSync(accessFile).size > 0) return;
  }
}

/** The current end of the access log, to mark the start or the end of a phase. */
export function accessLogOffset(accessFile: string | undefined): number {
  return accessFile && existsSync(accessFile) ? statSync(accessFile).size : 0;
}

// `{requester} Processed request: 0.012sec/0.000sec ru=(0.004sec, 0.001sec) db=(…) 1234B 200 "GET /path HTTP/1.1"`
const ACCESS_LINE = /\{([^}]*)\} Processed request: \S+ ru=\(([\d.]+)sec, ([\d.]+)sec\) .*? "(\w+) ([^ ?"]+)/;

/** Request paths with their identifiers taken out, so one endpoint is one row (`PUT /rooms/{}/send/{}/{}`). */
export function endpointOf(method: string, path: string): string {
  const shape = path
    .replace(/^\/_matrix\/client\/(?:v3|r0|v1)/, '')
    .replace(/^\/_synapse\/admin\/v\d/, 'admin')
    .split('/')
    // Room, user and event identifiers carry a sigil or a server name (`!`, `@`, `$`, `#`, `:`, escaped or not).
    .map((part) => (/[!@$#:]|%(?:21|40|24|23|3A)/i.test(part) ? '{}' : part))
    .join('/');
  const send = /^(.*\/(?:send|state))\/.*$/.exec(shape);
  return `${method} ${send ? `${send[1]}/…` : shape}`;
}

/** CPU-seconds and requests per (who, endpoint), from the access log between two offsets. */
export function readAccessWork(
  accessFile: string | undefined,
  from: number,
  to: number,
  who: (requester: string) => string,
): SynapseWork | undefined {
  if (!accessFile || !existsSync(accessFile) || to <= from) return undefined;
  const text = readFileSync(accessFile).subarray(from, to).toString('utf8');
  const work: SynapseWork = { cpu: new Map(), requests: new Map(), caches: new Map() };
  for (const line of text.split('\n')) {
    const match = ACCESS_LINE.exec(line);
    if (!match) continue;
    // `{admin|user}` when an admin's token acts as the user (the bench's agents get theirs from the admin login
    // API): the user is the one who asked.
    const requester = match[1]!.split('|').at(-1)!;
    const key = `${who(requester)}: ${endpointOf(match[4]!, match[5]!)}`;
    work.cpu.set(key, (work.cpu.get(key) ?? 0) + Number(match[2]) + Number(match[3]));
    work.requests.set(key, (work.requests.get(key) ?? 0) + 1);
  }
  return work;
}

/** The access log's account of a phase: CPU per conversation by who asked, then the heaviest (who, endpoint). */
export function describeAccessWork(work: SynapseWork | undefined, conversations: number, top = 8): string {
  if (!work || conversations <= 0) return 'requests by requester: unknown (no access log)';
  const total = [...work.cpu.values()].reduce((sum, value) => sum + value, 0);
  const byWho = new Map<string, number>();
  for (const [key, value] of work.cpu) {
    const who = key.split(':')[0]!;
    byWho.set(who, (byWho.get(who) ?? 0) + value);
  }
  const share = (value: number) =>
    `${((value / conversations) * 1000).toFixed(0)} ms (${((value / Math.max(total, 1e-9)) * 100).toFixed(0)} %)`;
  const whoText = [...byWho]
    .sort((a, b) => b[1] - a[1])
    .map(([who, value]) => `${who} ${share(value)}`)
    .join(', ');
  const heaviest = [...work.cpu]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, value]) => `${key} ${share(value)}, ${((work.requests.get(key) ?? 0) / conversations).toFixed(1)} req`);
  return `requests' CPU per conversation by requester (access log): ${((total / conversations) * 1000).toFixed(0)} ms in all; ${whoText}; heaviest: ${heaviest.join('; ')}`;
}

/** The command result an event carries, in either of its shapes (`commandResultIn`). */
export function resultOf(event: Ev): CommandResultContent | undefined {
  return commandResultIn(event) as CommandResultContent | undefined;
}
