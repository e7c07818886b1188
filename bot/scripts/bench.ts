/**
 * Benchmark of the conversation service on the local stack (run on demand: `npm run bench -w bot`). Prints
 * figures, asserts nothing. Starts its own Synapse (test override layer: registrations from one address) and an
 * in-process bot, then measures:
 *  1. raw Synapse: message send → another client's /sync, the floor everything else stands on;
 *  2. one young person: guest registration → first triage question shown; message → agent's client (ratio to 1);
 *  3. N simultaneous young people (50, 200 by default; BENCH_SIZES=50,200) from registration through triage to a
 *     claim and a message received by the agent: p50/p95/p99 of each step, errors, messages lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startHomeserver, registerWithSharedSecret } from '@espace-mineurs/synapse';
import { ContentKey, EventType, type Force } from '@espace-mineurs/protocol';
import { MatrixClient } from 'matrix-bot-sdk';
import { bootstrap, ensureStaffMember, exemptFromRateLimits } from '../src/bootstrap/index.ts';
import { loadConfig, start } from '../src/index.ts';

type Json = Record<string, unknown>;
interface Ev { event_id: string; type: string; sender: string; content: Json; state_key?: string }

const sizes = (process.env.BENCH_SIZES ?? '50,200').split(',').map(Number).filter((n) => n > 0);
const ANSWERS = ['1', '1', '3', '2', '3', '1'];

async function http<T = Json>(base: string, method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

/** A minimal /sync client: keeps every timeline event per room and wakes up waiters. */
class SyncClient {
  readonly events = new Map<string, Ev[]>();
  private since: string | undefined;
  private stopped = false;
  private waiters: Array<() => void> = [];
  private readonly base: string;
  readonly token: string;
  readonly userId: string;
  private loop: Promise<void> | undefined;

  constructor(base: string, token: string, userId: string) {
    this.base = base;
    this.token = token;
    this.userId = userId;
  }

  async start(): Promise<void> {
    const filter = encodeURIComponent(JSON.stringify({ presence: { not_types: ['*'] }, room: { timeline: { limit: 50 }, ephemeral: { not_types: ['*'] } } }));
    const first = await http<{ next_batch: string }>(this.base, 'GET', `/_matrix/client/v3/sync?timeout=0&filter=${filter}`, this.token);
    this.since = first.body.next_batch;
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          const response = await http<{ next_batch: string; rooms?: { join?: Record<string, { timeline?: { events?: Ev[] } }> } }>(this.base, 'GET', `/_matrix/client/v3/sync?timeout=20000&since=${this.since}&filter=${filter}`, this.token);
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

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function row(name: string, values: number[], errors = 0): string {
  const f = (n: number) => (Number.isNaN(n) ? '—' : n.toFixed(0));
  return `| ${name.padEnd(44)} | ${String(values.length).padStart(4)} | ${f(percentile(values, 50)).padStart(6)} | ${f(percentile(values, 95)).padStart(6)} | ${f(percentile(values, 99)).padStart(6)} | ${String(errors).padStart(6)} |`;
}

const HEADER = `| ${'step (ms)'.padEnd(44)} | ${'n'.padStart(4)} | ${'p50'.padStart(6)} | ${'p95'.padStart(6)} | ${'p99'.padStart(6)} | ${'errors'.padStart(6)} |\n|${'-'.repeat(46)}|------|--------|--------|--------|--------|`;

let txnCounter = 0;
async function sendText(base: string, token: string, roomId: string, body: string, extra: Json = {}): Promise<void> {
  const response = await http(base, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b${Date.now()}-${txnCounter++}`, token, { msgtype: 'm.text', body, ...extra });
  if (response.status !== 200) throw new Error(`send ${response.status}`);
}

const dataDir = mkdtempSync(join(tmpdir(), 'espace-bench-'));
const hs = await startHomeserver({ dataDir: join(dataDir, 'synapse'), port: 0, layers: ['test'], retention: { min: '1s', max: '365d' } });
try {
  const boot = await bootstrap(hs, { stateDir: dataDir, demo: true });
  const admin = new MatrixClient(hs.baseUrl, boot.bot.accessToken);
  // Enough agents for the largest run even if routing sends everyone to one force: 10 conversations each.
  const perForce = Math.max(2, Math.ceil(Math.max(...sizes, 10) / 10));
  const agents: Record<Force, Array<{ userId: string; token: string; sync: SyncClient }>> = { police: [], gendarmerie: [] };
  for (const force of ['police', 'gendarmerie'] as const) {
    for (let index = 1; index <= perForce; index++) {
      const localpart = `bench-${force === 'police' ? 'pn' : 'gn'}-${index}`;
      const password = `bench-${randomUUID()}`;
      await ensureStaffMember(admin, boot.serverName, boot.forces[force], { localpart, force, role: 'agent', pseudonym: `Agent ${index}`, password, resetPassword: true });
      const login = await http<{ access_token: string; user_id: string }>(hs.baseUrl, 'POST', '/_matrix/client/v3/login', undefined, { type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password });
      const sync = new SyncClient(hs.baseUrl, login.body.access_token, login.body.user_id);
      await sync.start();
      agents[force].push({ userId: login.body.user_id, token: login.body.access_token, sync });
    }
  }
  const bot = await start(loadConfig({ ESPACE_HOMESERVER_URL: hs.baseUrl, ESPACE_STATE_DIR: dataDir, ESPACE_BOT_PORT: '0', ESPACE_TRUST_PROXY: '1', ESPACE_LOG_LEVEL: 'warn' }, { rateLimits: { openPerIp: 100_000, openPerGuest: 100 } }));
  for (const force of ['police', 'gendarmerie'] as const) {
    for (const agent of agents[force]) {
      await http(hs.baseUrl, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(boot.forces[force].queueRoomId)}/send/${EventType.Command}/duty-${agent.userId}`, agent.token, { action: 'duty', requestId: randomUUID(), onDuty: true, capacity: 10 });
    }
  }

  // 1. Raw Synapse floor: user A sends, user B's /sync receives.
  const secret = hs.registrationSharedSecret!;
  const a = await registerWithSharedSecret(hs.baseUrl, secret, { localpart: `bench-a-${Date.now()}`, password: randomUUID(), admin: false });
  const b = await registerWithSharedSecret(hs.baseUrl, secret, { localpart: `bench-b-${Date.now()}`, password: randomUUID(), admin: false });
  // The floor is Synapse itself, not its per-account rate limit.
  await exemptFromRateLimits(admin, a.userId);
  await exemptFromRateLimits(admin, b.userId);
  const rawRoom = (await http<{ room_id: string }>(hs.baseUrl, 'POST', '/_matrix/client/v3/createRoom', a.accessToken, { preset: 'private_chat', invite: [b.userId] })).body.room_id;
  await http(hs.baseUrl, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(rawRoom)}`, b.accessToken, {});
  const bSync = new SyncClient(hs.baseUrl, b.accessToken, b.userId);
  await bSync.start();
  const raw: number[] = [];
  for (let index = 0; index < 40; index++) {
    const marker = `raw-${index}`;
    const t0 = performance.now();
    await sendText(hs.baseUrl, a.accessToken, rawRoom, marker);
    await bSync.waitFor(rawRoom, (events) => events.some((event) => event.content.body === marker));
    raw.push(performance.now() - t0);
  }
  bSync.stop();

  const opened: Array<{ roomId: string; force?: Force }> = [];

  async function youngPerson(index: number, measure: Record<string, number[]>, errors: Record<string, number>, lost: { count: number }): Promise<void> {
    const step = async (name: string, task: () => Promise<void>) => {
      const t0 = performance.now();
      try {
        await task();
      } catch (error) {
        errors[name] = (errors[name] ?? 0) + 1;
        throw error;
      }
      (measure[name] ??= []).push(performance.now() - t0);
    };
    const startedAt = performance.now();
    let token = '';
    let userId = '';
    let roomId = '';
    let sync: SyncClient | undefined;
    try {
      await step('guest registration', async () => {
        const response = await http<{ access_token: string; user_id: string }>(hs.baseUrl, 'POST', '/_matrix/client/v3/register?kind=guest', undefined, {});
        if (response.status !== 200) throw new Error(`register ${response.status}`);
        token = response.body.access_token;
        userId = response.body.user_id;
      });
      await step('open conversation (bot API)', async () => {
        const response = await http<{ roomId: string }>(bot.url, 'POST', '/api/conversations', token, {}, { 'x-forwarded-for': `10.9.${Math.floor(index / 250)}.${index % 250}` });
        if (response.status !== 201) throw new Error(`open ${response.status}`);
        roomId = response.body.roomId;
        opened.push({ roomId });
      });
      sync = new SyncClient(hs.baseUrl, token, userId);
      await step('join + first question shown', async () => {
        await http(hs.baseUrl, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, token, {});
        await sync!.start();
        const history = await http<{ chunk: Ev[] }>(hs.baseUrl, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=20`, token);
        if (!history.body.chunk.some((event) => event.content[ContentKey.TriageQuestion])) {
          await sync!.waitFor(roomId, (events) => events.some((event) => event.content[ContentKey.TriageQuestion]));
        }
      });
      (measure['registration → first question shown'] ??= []).push(performance.now() - startedAt);
      const botId = boot.bot.userId;
      for (const [answerIndex, answer] of ANSWERS.entries()) {
        await step('triage answer → next bot message', async () => {
          const before = (sync!.events.get(roomId) ?? []).filter((event) => event.sender === botId && event.type === 'm.room.message').length;
          await sendText(hs.baseUrl, token, roomId, answer);
          await sync!.waitFor(roomId, (events) => events.filter((event) => event.sender === botId && event.type === 'm.room.message').length > before + (answerIndex === 0 ? 0 : 0));
        });
      }
      let force: Force = 'police';
      await step('queued (status visible)', async () => {
        for (;;) {
          const status = await http<{ status: { state: string; force?: Force } }>(bot.url, 'GET', '/api/conversations/current', token, undefined, { 'x-forwarded-for': `10.9.${Math.floor(index / 250)}.${index % 250}` });
          if (status.body.status?.state === 'queued' && status.body.status.force) {
            force = status.body.status.force;
            opened.find((item) => item.roomId === roomId)!.force = force;
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      });
      const agent = agents[force][index % agents[force].length]!;
      await step('claim → young person told', async () => {
        await http(hs.baseUrl, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(boot.forces[force].queueRoomId)}/send/${EventType.Command}/claim-${index}-${Date.now()}`, agent.token, { action: 'claim', requestId: randomUUID(), conversation: roomId });
        await sync!.waitFor(roomId, (events) => events.some((event) => event.content['fr.espace-mineurs.service.agent_coming'] === true));
      });
      await http(hs.baseUrl, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, agent.token, {});
      // Conversation messages in steady state: once the claim's own writes are done, as in a real exchange.
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (let message = 0; message < 3; message++) {
        const marker = `message-${index}-${message}-${randomUUID()}`;
        await step('young person message → agent client', async () => {
          await sendText(hs.baseUrl, token, roomId, marker);
          try {
            await agent.sync.waitFor(roomId, (events) => events.some((event) => event.content.body === marker), 60_000);
          } catch (error) {
            lost.count++;
            throw error;
          }
        });
      }
      (measure['registration → claimed (total)'] ??= []).push(performance.now() - startedAt);
      await http(hs.baseUrl, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(boot.forces[force].queueRoomId)}/send/${EventType.Command}/close-${index}-${Date.now()}`, agent.token, { action: 'close', requestId: randomUUID(), conversation: roomId, outcome: 'none' });
    } catch {
      // counted in errors
    } finally {
      sync?.stop();
    }
  }

  // 2. One young person alone: the latency a single user sees, and the message path against raw Synapse.
  const single: Record<string, number[]> = {};
  const singleErrors: Record<string, number> = {};
  for (let index = 0; index < 10; index++) await youngPerson(100_000 + index, single, singleErrors, { count: 0 });

  const out: string[] = [];
  out.push(`Synapse ${hs.version} (${hs.source}, SQLite), bot in-process; ${new Date().toISOString()}`);
  out.push('', '### Floor and single young person', HEADER);
  out.push(row('raw Synapse send → other client /sync', raw));
  for (const [name, values] of Object.entries(single)) out.push(row(name, values, singleErrors[name] ?? 0));
  const ratio = percentile(single['young person message → agent client'] ?? [], 50) / percentile(raw, 50);
  out.push('', `Message young person → agent, p50 ratio to raw Synapse: ${ratio.toFixed(2)} (goal ≤ 1.20)`);
  process.stdout.write(out.join('\n') + '\n');

  // 3. Simultaneous young people.
  opened.length = 0;
  for (const size of sizes) {
    const measure: Record<string, number[]> = {};
    const errors: Record<string, number> = {};
    const lost = { count: 0 };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: size }, (_, index) => youngPerson(size * 1000 + index, measure, errors, lost)));
    const lines = ['', `### ${size} simultaneous young people (wall time ${((performance.now() - t0) / 1000).toFixed(1)} s)`, HEADER];
    for (const [name, values] of Object.entries(measure)) lines.push(row(name, values, errors[name] ?? 0));
    for (const [name, count] of Object.entries(errors)) if (!measure[name]) lines.push(row(name, [], count));
    const completed = measure['registration → claimed (total)']?.length ?? 0;
    // Claims the run gave up waiting for: were they lost, or only late? Read every entry as the bot sees it.
    const mine = opened.splice(0);
    const claimedEventually = async () => {
      let claimed = 0;
      for (const item of mine) {
        if (!item.force) continue;
        const entry = await http<{ state?: string }>(hs.baseUrl, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(boot.forces[item.force].queueRoomId)}/state/${encodeURIComponent(EventType.Conversation)}/${encodeURIComponent(item.roomId)}`, boot.bot.accessToken);
        if (entry.body.state === 'assigned' || entry.body.state === 'closed') claimed++;
      }
      return claimed;
    };
    let eventually = await claimedEventually();
    for (let wait = 0; wait < 36 && eventually < mine.length; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 5000));
      eventually = await claimedEventually();
    }
    lines.push(`claimed in the end (entry assigned or closed): ${eventually}/${mine.length}`);
    lines.push('', `completed ${completed}/${size}; messages lost: ${lost.count}; steps failed: ${Object.values(errors).reduce((x, y) => x + y, 0)}`);
    process.stdout.write(lines.join('\n') + '\n');
  }

  for (const force of ['police', 'gendarmerie'] as const) for (const agent of agents[force]) agent.sync.stop();
  await bot.stop();
} finally {
  await hs.stop();
  rmSync(dataDir, { recursive: true, force: true });
  // Sync long-polls still pending would keep the process alive.
  setTimeout(() => process.exit(0), 100).unref();
}
