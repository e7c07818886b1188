/**
 * Arrivals bench (run on demand: `npm run bench:arrivals -w bot`). Prints figures, asserts nothing.
 *
 * For each engine (BENCH_ENGINES=sqlite,postgres: Synapse on SQLite, and on Debian's PostgreSQL started here the
 * way `npm run start:production` starts it, synapse/src/postgres.ts), it starts Synapse with the production
 * configuration (no test layer: production rate limits), bootstraps, and runs the bot as its own process (its
 * memory is its own, a restart is a real one) trusting no proxy. Every young person, every raw-floor visitor and
 * every agent connects from its own loopback address (bench-net.ts), raw HTTP, so per-address limits see distinct
 * clients, as they see phones.
 *
 * Phases, each arrival schedule run twice in the same run: first the raw Synapse floor (register a guest; an admin
 * exempt from rate limits creates a room with an invite and writes one message; the guest joins and sees it),
 * then the service on the same schedule (register a guest, open a conversation, join, first triage question
 * shown, six answers, queued status, an agent claims, the young person is told, the agent closes):
 *   1. 0.5 arrivals a second, evenly (BENCH_SLOW, 40);
 *   2. 2 a second, Poisson (BENCH_POISSON, 100; seeded, the same schedule on both engines); events per
 *      conversation are counted from Synapse for this phase (every room, creation to close by an agent);
 *   3. a burst, all at once (BENCH_BURST, 200);
 *   4. past conversations up to BENCH_PAST (10,000) closed and not purged: copies of a closed one (its room's
 *      state and its queue-room entry, no timeline) written 8 at a time while the agents are away, then the
 *      agents catch up and the bot is restarted with them (BENCH_PAST_COPY=0: made by the whole flow instead,
 *      BENCH_FILL at a time, 20);
 *   5. held load: BENCH_HELD (1,000) open at once, BENCH_HELD_ASSIGNED (200) of them claimed and chatting for
 *      BENCH_HELD_SECONDS (60), the rest queued: young person → agent against a plain user → the same agent's
 *      client at the same moments, messages lost, bot and Synapse memory;
 *   6. start-up: the bot restarted with all of it (phases 1–4 closed, phase 5 open): time until it serves again
 *      (ready line, /readyz, a new young person's first question) and its memory.
 * Each arrivals phase and the held load also print Synapse's caches (from its metrics): the ones that missed most,
 * and whether they were full and evicting, which says whether a larger cache factor would help.
 * The machine is shared: the load average is printed with every phase. With BENCH_ACCESS_LOG=1, Synapse's access
 * log is turned on in the bench's own data folder and each arrivals phase also prints Synapse's CPU by requester
 * (the bot, the agents, the guests, the floor's admin) and endpoint: what the bot's own `/sync` loop costs, which
 * an application service would no longer pay.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import {
  freePort,
  startHomeserver,
  startPostgres,
  type Homeserver,
  type PostgresServer,
} from '@espace-mineurs/synapse';
import { EventType, type Force } from '@espace-mineurs/protocol';
import { bootstrap, ensureStaffMember, exemptFromRateLimits } from '../src/bootstrap/index.ts';
import { Matrix } from '../src/matrix/client.ts';
import {
  accessLogOffset,
  countBy,
  describeAccessWork,
  describeCaches,
  describeSynapseWork,
  enableAccessLog,
  percentile,
  processCpuSeconds,
  readAccessWork,
  readSynapseWork,
  readTimeline,
  timelineEnd,
  type Ev,
} from './bench-support.ts';
import { Client, Session, loopbackAddress, rssMiB } from './bench-net.ts';

const num = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0`);
  return Math.floor(value);
};
const SIZES = {
  slow: num('BENCH_SLOW', 40),
  poisson: num('BENCH_POISSON', 100),
  burst: num('BENCH_BURST', 200),
  past: num('BENCH_PAST', 10_000),
  /** 1: past conversations beyond the phases' are copies of a closed one; 0: made through the whole flow. */
  pastCopy: num('BENCH_PAST_COPY', 1),
  fill: Math.max(1, num('BENCH_FILL', 20)),
  held: num('BENCH_HELD', 1000),
  heldAssigned: num('BENCH_HELD_ASSIGNED', 200),
  heldSeconds: num('BENCH_HELD_SECONDS', 60),
};
const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite,postgres')
  .split(',')
  .map((item) => item.trim())
  .filter(Boolean);
for (const engine of ENGINES)
  if (engine !== 'sqlite' && engine !== 'postgres')
    throw new Error(`BENCH_ENGINES: unknown engine "${engine}" (sqlite, postgres)`);
const ANSWERS = ['1', '1', '3', '2', '3', '1'];
const AGENT_COMING = 'fr.espace-mineurs.service.agent_coming';
const CAPACITY = 10;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const seconds = (ms: number) =>
  Number.isNaN(ms)
    ? '—'
    : ms >= 10_000
      ? `${(ms / 1000).toFixed(1)} s`
      : ms >= 1000
        ? `${(ms / 1000).toFixed(2)} s`
        : `${ms.toFixed(0)} ms`;
const out = (...lines: string[]) => process.stdout.write(lines.join('\n') + '\n');

/** A seeded generator (mulberry32): the Poisson schedule is the same for the floor, the service and both engines. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const evenly = (count: number, perSecond: number) =>
  Array.from({ length: count }, (_, index) => (index * 1000) / perSecond);
function poisson(count: number, perSecond: number, seed: number): number[] {
  const next = random(seed);
  const offsets: number[] = [];
  let at = 0;
  for (let index = 0; index < count; index++) {
    offsets.push(at);
    at += (-Math.log(1 - next()) / perSecond) * 1000;
  }
  return offsets;
}

/** Starts each task at its offset from now; resolves when every one has ended. */
async function onSchedule(offsets: number[], task: (index: number) => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    offsets.map(async (offset, index) => {
      const wait = t0 + offset - performance.now();
      if (wait > 0) await sleep(wait);
      await task(index).catch(() => undefined);
    }),
  );
  return (performance.now() - t0) / 1000;
}

/** Runs tasks with at most `limit` at a time. */
async function bounded(count: number, limit: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await task(next++).catch(() => undefined);
    }),
  );
}

class Samples {
  readonly values = new Map<string, number[]>();
  readonly errors = new Map<string, number>();
  /** Why steps failed (`step: reason` → count), so an error count says what happened. */
  readonly reasons = new Map<string, number>();
  add(name: string, ms: number): void {
    const list = this.values.get(name) ?? [];
    list.push(ms);
    this.values.set(name, list);
  }
  fail(name: string, why?: unknown): void {
    this.errors.set(name, (this.errors.get(name) ?? 0) + 1);
    if (why === undefined) return;
    // Status codes and the bench's own short messages only (never a body).
    const reason = `${name}: ${(why instanceof Error ? why.message : String(why)).slice(0, 80)}`;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
  }
  async time(name: string, task: () => Promise<void>): Promise<void> {
    const t0 = performance.now();
    try {
      await task();
    } catch (error) {
      this.fail(name, error);
      throw error;
    }
    this.add(name, performance.now() - t0);
  }
  get(name: string): number[] {
    return this.values.get(name) ?? [];
  }
}

/** What one engine's run measured, for the side-by-side summary. */
interface EngineResult {
  engine: string;
  version: string;
  rows: Array<{ phase: string; step: string; floor?: number[]; service: number[]; errors: number; loads: string }>;
  notes: string[];
}

/** The bot under test, as its own process (main.ts): started, restarted, measured from outside. */
class BotProcess {
  child: ChildProcess | undefined;
  url = '';
  private readonly env: NodeJS.ProcessEnv;
  constructor(env: NodeJS.ProcessEnv) {
    this.env = env;
  }
  /** Starts it; resolves with the time until its ready line. */
  async start(): Promise<number> {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--disable-warning=DEP0060', join(ROOT, 'bot', 'src', 'main.ts')], {
      cwd: ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    const lines = createInterface({ input: child.stdout! });
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`bot exited (${code}) before ready`)));
      lines.on('line', (line) => {
        try {
          const parsed = JSON.parse(line) as { ready?: boolean; url?: string };
          if (parsed.ready && parsed.url) {
            this.url = parsed.url;
            resolve(performance.now() - t0);
          }
        } catch {
          // log lines
        }
      });
    });
  }
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.removeAllListeners('exit');
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }
}

async function runEngine(engine: string, addressBase: number): Promise<EngineResult> {
  const dataDir = mkdtempSync(join(tmpdir(), `espace-arrivals-${engine}-`));
  // PostgreSQL runs as its own user: it must be able to traverse (not list) this folder.
  chmodSync(dataDir, 0o711);
  let postgres: PostgresServer | undefined;
  let hs: Homeserver | undefined;
  let bot: BotProcess | undefined;
  const result: EngineResult = { engine, version: '', rows: [], notes: [] };
  let addressCounter = addressBase;
  const newClient = () => new Client(loopbackAddress(addressCounter++));
  const sessions: Session[] = [];
  try {
    let database: { kind: 'postgres'; url: string } | undefined;
    if (engine === 'postgres') {
      const password = randomUUID();
      postgres = await startPostgres({
        dataDir: join(dataDir, 'postgres'),
        port: await freePort(),
        database: 'synapse',
        user: 'synapse',
        password,
      });
      database = { kind: 'postgres', url: `postgres://synapse:${password}@${postgres.host}:${postgres.port}/synapse` };
    }
    hs = await startHomeserver({
      dataDir: join(dataDir, 'synapse'),
      port: 0,
      source: 'native',
      // Its metrics say where its CPU goes, servlet by servlet (printed per phase).
      metricsPort: 0,
      ...(database ? { database } : {}),
    });
    const base = hs.baseUrl;
    const metricsUrl = hs.metricsUrl;
    const synapsePid = hs.processFile ? Number(readFileSync(hs.processFile, 'utf8').trim()) : undefined;
    result.version = `Synapse ${hs.version} on ${engine === 'postgres' ? `PostgreSQL ${postgres!.version} (Debian's, default settings)` : 'SQLite'}`;
    out('', `## ${result.version}; ${new Date().toISOString()}; load average ${load()}`);
    const boot = await bootstrap(hs, { stateDir: dataDir, demo: false });
    const accessFile =
      process.env.BENCH_ACCESS_LOG === '1' && synapsePid ? join(dataDir, 'synapse', 'access.log') : undefined;
    if (accessFile) await enableAccessLog(join(dataDir, 'synapse', 'log.yaml'), accessFile, synapsePid!);
    const admin = new Matrix(base, boot.bot.accessToken, boot.bot.userId);
    const adminToken = boot.bot.accessToken;
    const adminClient = newClient();
    /** A token for a user, from the admin API (no login rate limit to get around, none bypassed for guests). */
    const loginAs = async (userId: string) => {
      const response = await adminClient.call<{ access_token: string }>(
        base,
        'POST',
        `/_synapse/admin/v1/users/${encodeURIComponent(userId)}/login`,
        adminToken,
        {},
      );
      if (response.status !== 200) throw new Error(`admin login ${response.status}`);
      return response.body.access_token;
    };

    // Agents: enough that every conversation of the largest phase has a seat (10 each), per force.
    const perForce = Math.max(2, Math.ceil(Math.max(SIZES.burst, SIZES.heldAssigned, SIZES.fill, 10) / CAPACITY));
    const agents: Record<Force, Array<{ session: Session; load: number }>> = { police: [], gendarmerie: [] };
    for (const force of ['police', 'gendarmerie'] as const) {
      for (let index = 1; index <= perForce; index++) {
        const localpart = `arrivals-${force === 'police' ? 'pn' : 'gn'}-${index}`;
        await ensureStaffMember(admin, boot.serverName, boot.forces[force], {
          localpart,
          force,
          role: 'agent',
          pseudonym: `Agent ${index}`,
        });
        const userId = `@${localpart}:${boot.serverName}`;
        const session = new Session(newClient(), base, await loginAs(userId), userId);
        sessions.push(session);
        await session.start();
        agents[force].push({ session, load: 0 });
      }
    }
    // The floor's admin, exempt from rate limits, and the plain user who writes to each agent's client.
    const plain = async (name: string) => {
      const userId = `@arrivals-${name}:${boot.serverName}`;
      await admin.request('PUT', `/_synapse/admin/v2/users/${encodeURIComponent(userId)}`, {
        body: { password: randomUUID(), admin: false },
      });
      await exemptFromRateLimits(admin, userId);
      const session = new Session(newClient(), base, await loginAs(userId), userId);
      sessions.push(session);
      return session;
    };
    const floorAdmin = await plain('floor-admin');
    const floorWriter = await plain('floor-writer');
    await floorWriter.start();
    const floorRooms = new Map<string, string>();
    for (const agent of [...agents.police, ...agents.gendarmerie]) {
      const created = await floorWriter.call<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', {
        preset: 'private_chat',
        invite: [agent.session.userId],
      });
      await agent.session.call('POST', `/_matrix/client/v3/join/${encodeURIComponent(created.body.room_id)}`, {});
      floorRooms.set(agent.session.userId, created.body.room_id);
    }

    const botPort = await freePort();
    bot = new BotProcess({
      PATH: process.env.PATH,
      ESPACE_HOMESERVER_URL: base,
      ESPACE_STATE_DIR: dataDir,
      ESPACE_BOT_PORT: String(botPort),
      ESPACE_TRUST_PROXY: '0',
      ESPACE_LOG_LEVEL: process.env.ESPACE_LOG_LEVEL ?? 'warn',
      // The held load keeps conversations queued for minutes: no overflow to the other force while it lasts.
      ESPACE_TIMEOUT_OVERFLOW: '7200',
    });
    await bot.start();
    for (const force of ['police', 'gendarmerie'] as const) {
      for (const agent of agents[force]) {
        await agent.session.send(
          boot.forces[force].queueRoomId,
          { action: 'duty', requestId: randomUUID(), onDuty: true, capacity: CAPACITY },
          EventType.Command,
        );
      }
    }
    await sleep(2000);

    const pickAgent = (force: Force) => {
      const list = agents[force];
      const agent = [...list].sort((a, b) => a.load - b.load)[0]!;
      agent.load++;
      return agent;
    };

    /** The raw floor: what any room-per-visitor service on Matrix pays at least. */
    async function floorVisitor(samples: Samples, rooms?: string[]): Promise<void> {
      const client = newClient();
      try {
        await samples.time('first question', async () => {
          const registered = await client.call<{ access_token: string; user_id: string }>(
            base,
            'POST',
            '/_matrix/client/v3/register?kind=guest',
            undefined,
            {},
          );
          if (registered.status !== 200) throw new Error(`register ${registered.status}`);
          const guest = new Session(client, base, registered.body.access_token, registered.body.user_id);
          const created = await floorAdmin.call<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', {
            preset: 'private_chat',
            invite: [guest.userId],
          });
          if (created.status !== 200) throw new Error(`createRoom ${created.status}`);
          const roomId = created.body.room_id;
          rooms?.push(roomId);
          await floorAdmin.send(roomId, { msgtype: 'm.text', body: 'Bonjour' });
          const joined = await guest.call('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
          if (joined.status !== 200) throw new Error(`join ${joined.status}`);
          const history = await guest.call<{ chunk?: Ev[] }>(
            'GET',
            `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=20`,
          );
          if (
            !(history.body.chunk ?? []).some(
              (event) => event.sender === floorAdmin.userId && event.type === 'm.room.message',
            )
          ) {
            await guest.start();
            await guest.waitFor(roomId, (events) =>
              events.some((event) => event.sender === floorAdmin.userId && event.type === 'm.room.message'),
            );
            guest.stop();
          }
        });
      } finally {
        client.close();
      }
    }

    interface Conversation {
      roomId: string;
      force: Force;
      guest: Session;
      agent?: { session: Session; load: number };
      /** The agent's session has joined the room (the claim was told and the invitation accepted). */
      joined?: boolean;
    }
    const botId = boot.bot.userId;
    /** Who asked, as the access log's accounting groups it. */
    const requesterClass = (requester: string) =>
      requester === botId
        ? 'bot'
        : requester === floorAdmin.userId || requester === floorWriter.userId
          ? 'floor admin'
          : requester.startsWith('@arrivals-')
            ? 'agents'
            : requester.startsWith('@')
              ? 'guests'
              : 'unauthenticated';
    const botMessages = (events: Ev[]) =>
      events.filter((event) => event.sender === botId && event.type === 'm.room.message').length;

    /** A young person from registration to queued (first question, answers, status), from its own address. */
    async function intake(samples: Samples, opened?: string[]): Promise<Conversation> {
      const client = newClient();
      const t0 = performance.now();
      const registered = await client.call<{ access_token: string; user_id: string }>(
        base,
        'POST',
        '/_matrix/client/v3/register?kind=guest',
        undefined,
        {},
      );
      if (registered.status !== 200) {
        samples.fail('first question', `register ${registered.status}`);
        throw new Error(`register ${registered.status}`);
      }
      const guest = new Session(client, base, registered.body.access_token, registered.body.user_id);
      let roomId = '';
      try {
        const open = await guest.client.call<{ roomId: string }>(
          bot!.url,
          'POST',
          '/api/conversations',
          guest.token,
          {},
        );
        if (open.status !== 201) throw new Error(`open ${open.status}`);
        roomId = open.body.roomId;
        opened?.push(roomId);
        const joined = await guest.call('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
        if (joined.status !== 200) throw new Error(`join ${joined.status}`);
        await guest.start();
        const history = await guest.call<{ chunk?: Ev[] }>(
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=20`,
        );
        if (!(history.body.chunk ?? []).some((event) => botMessages([event]) > 0))
          await guest.waitFor(roomId, (events) => botMessages(events) > 0);
      } catch (error) {
        samples.fail('first question', error);
        guest.stop();
        throw error;
      }
      // Registration included, as the floor's.
      samples.add('first question', performance.now() - t0);
      for (const [index, answer] of ANSWERS.entries()) {
        const before = botMessages(guest.events.get(roomId) ?? []);
        if (index < ANSWERS.length - 1) {
          await samples.time('triage answer → next question', async () => {
            await guest.send(roomId, { msgtype: 'm.text', body: answer });
            await guest.waitFor(roomId, (events) => botMessages(events) > before);
          });
        } else {
          await samples.time('last answer → queued status visible', async () => {
            await guest.send(roomId, { msgtype: 'm.text', body: answer });
            const deadline = Date.now() + 120_000;
            for (;;) {
              const status = await guest.client.call<{ status?: { state?: string; force?: Force } }>(
                bot!.url,
                'GET',
                '/api/conversations/current',
                guest.token,
              );
              if (status.body.status?.state === 'queued' && status.body.status.force) return;
              if (Date.now() > deadline) throw new Error('not queued');
              await sleep(100);
            }
          });
        }
      }
      const status = await guest.client.call<{ status?: { force?: Force } }>(
        bot!.url,
        'GET',
        '/api/conversations/current',
        guest.token,
      );
      return { roomId, force: status.body.status?.force ?? 'police', guest };
    }

    async function claim(samples: Samples, conversation: Conversation): Promise<void> {
      const agent = pickAgent(conversation.force);
      conversation.agent = agent;
      await samples.time('claim → young person told', async () => {
        await agent.session.send(
          boot.forces[conversation.force].queueRoomId,
          { action: 'claim', requestId: randomUUID(), conversation: conversation.roomId },
          EventType.Command,
        );
        await conversation.guest.waitFor(conversation.roomId, (events) =>
          events.some((event) => event.content[AGENT_COMING] === true),
        );
      });
      // The young person is told before the agent is invited (bot/src/queue/assign.ts): the agent accepts the
      // invitation once it exists, as a client does when it arrives (a join before it is refused with 403).
      const deadline = performance.now() + 60_000;
      for (;;) {
        const joined = await agent.session.call(
          'POST',
          `/_matrix/client/v3/join/${encodeURIComponent(conversation.roomId)}`,
          {},
        );
        if (joined.status === 200) {
          conversation.joined = true;
          return;
        }
        if (joined.status !== 403 || performance.now() > deadline) throw new Error(`agent join ${joined.status}`);
        await sleep(250);
      }
    }

    async function close(conversation: Conversation): Promise<void> {
      const agent = conversation.agent;
      conversation.guest.stop();
      conversation.guest.client.close();
      if (!agent) return;
      await agent.session.send(
        boot.forces[conversation.force].queueRoomId,
        { action: 'close', requestId: randomUUID(), conversation: conversation.roomId, outcome: 'none' },
        EventType.Command,
      );
      agent.load--;
      agent.session.forget(conversation.roomId);
    }

    let closedCount = 0;
    /** The last conversation an agent closed: the past phase copies it. */
    let lastClosed: { roomId: string; force: Force } | undefined;
    /** The whole service flow of one young person, closed at the end. */
    async function fullConversation(samples: Samples, opened?: string[]): Promise<void> {
      const conversation = await intake(samples, opened);
      try {
        await claim(samples, conversation);
      } finally {
        await close(conversation);
        closedCount++;
        if (conversation.agent) lastClosed = { roomId: conversation.roomId, force: conversation.force };
      }
    }

    const cpu = () => {
      const wall0 = performance.now();
      const s0 = processCpuSeconds(synapsePid);
      const b0 = processCpuSeconds(bot!.pid);
      return () => {
        const wall = (performance.now() - wall0) / 1000;
        const s1 = processCpuSeconds(synapsePid);
        const b1 = processCpuSeconds(bot!.pid);
        const pct = (a?: number, b?: number) =>
          a === undefined || b === undefined ? '?' : `${(((b - a) / wall) * 100).toFixed(0)} %`;
        return `CPU: Synapse ${pct(s0, s1)} of one core, bot ${pct(b0, b1)}`;
      };
    };

    /** Restarts the bot (SIGTERM, a new process) and measures until it serves again. */
    async function restart(label: string): Promise<void> {
      const before = rssMiB(bot!.pid);
      const loadRestart = load();
      await bot!.stop('SIGTERM');
      const t0 = performance.now();
      const readyLine = await bot!.start();
      let readyz = Number.NaN;
      const probe = newClient();
      for (let tries = 0; tries < 1200; tries++) {
        const response = await probe.call(bot!.url, 'GET', '/readyz').catch(() => ({ status: 0 }));
        if (response.status === 200) {
          readyz = performance.now() - t0;
          break;
        }
        await sleep(100);
      }
      probe.close();
      const first = new Samples();
      await intake(first)
        .then((conversation) => conversation.guest.stop())
        .catch(() => undefined);
      const served = performance.now() - t0;
      await sleep(10_000);
      const after = rssMiB(bot!.pid);
      out(
        '',
        `### ${label}; load average ${loadRestart}`,
        `after SIGTERM, from the new start: ready line ${seconds(readyLine)}, /readyz 200 ${seconds(readyz)}, a new young person through triage to queued ${seconds(served)} (its first question took ${seconds(percentile(first.get('first question'), 50))}); bot RSS before ${before?.toFixed(0)} MiB, 10 s after start ${after?.toFixed(0)} MiB`,
      );
      result.notes.push(
        `${label}: ready line ${seconds(readyLine)}, /readyz ${seconds(readyz)}, a new young person queued ${seconds(served)} (first question ${seconds(percentile(first.get('first question'), 50))}); bot RSS ${before?.toFixed(0)} → ${after?.toFixed(0)} MiB (load ${loadRestart})`,
      );
    }

    const STEPS = [
      'first question',
      'triage answer → next question',
      'last answer → queued status visible',
      'claim → young person told',
    ];
    const report = (phase: string, floor: Samples | undefined, service: Samples, loads: string, steps = STEPS) => {
      out(`| step | floor p50 / p95 | service p50 / p95 | ratio p50 / p95 | n | errors |`, '|---|---|---|---|---|---|');
      for (const step of steps) {
        const values = service.get(step);
        const floorValues = floor?.get(step);
        const errors = service.errors.get(step) ?? 0;
        result.rows.push({
          phase,
          step,
          ...(floorValues && floorValues.length > 0 ? { floor: floorValues } : {}),
          service: values,
          errors,
          loads,
        });
        const f =
          floorValues && floorValues.length > 0
            ? `${seconds(percentile(floorValues, 50))} / ${seconds(percentile(floorValues, 95))}`
            : '—';
        const ratio =
          floorValues && floorValues.length > 0
            ? `${(percentile(values, 50) / percentile(floorValues, 50)).toFixed(2)}× / ${(percentile(values, 95) / percentile(floorValues, 95)).toFixed(2)}×`
            : '—';
        out(
          `| ${step} | ${f} | ${seconds(percentile(values, 50))} / ${seconds(percentile(values, 95))} | ${ratio} | ${values.length} | ${errors}${floor?.errors.get(step) ? ` (floor ${floor.errors.get(step)})` : ''} |`,
        );
      }
      const reasons = [
        ...[...(floor?.reasons ?? new Map<string, number>())].map(([why, n]) => `floor ${why} ×${n}`),
        ...[...service.reasons].map(([why, n]) => `${why} ×${n}`),
      ];
      if (reasons.length > 0) out(`errors: ${reasons.join('; ')}`);
    };

    const arrivals = async (phase: string, offsets: number[], countEvents = false) => {
      if (offsets.length === 0) return;
      const floor = new Samples();
      const service = new Samples();
      const floorRoomIds: string[] = [];
      const opened: string[] = [];
      const loadFloor = load();
      const cpuFloor = cpu();
      const floorWork0 = await readSynapseWork(metricsUrl);
      const floorAccess0 = accessLogOffset(accessFile);
      const floorWall = await onSchedule(offsets, () => floorVisitor(floor, floorRoomIds));
      const floorCpu = cpuFloor();
      const floorWork = describeSynapseWork(floorWork0, await readSynapseWork(metricsUrl), offsets.length);
      const floorAccess = readAccessWork(accessFile, floorAccess0, accessLogOffset(accessFile), requesterClass);
      await sleep(3000);
      const forceRooms = (['police', 'gendarmerie'] as const).flatMap((force) => [
        { label: `${force} queue room`, roomId: boot.forces[force].queueRoomId },
        { label: `${force} audit room`, roomId: boot.forces[force].auditRoomId },
      ]);
      const ends = countEvents
        ? await Promise.all(forceRooms.map((room) => timelineEnd(base, adminToken, room.roomId)))
        : [];
      const loadService = load();
      const cpuService = cpu();
      const serviceWork0 = await readSynapseWork(metricsUrl);
      const serviceAccess0 = accessLogOffset(accessFile);
      const wall = await onSchedule(offsets, () => fullConversation(service, opened));
      const serviceCpu = cpuService();
      const serviceWork1 = await readSynapseWork(metricsUrl);
      const serviceWork = describeSynapseWork(serviceWork0, serviceWork1, offsets.length);
      const serviceAccess = readAccessWork(accessFile, serviceAccess0, accessLogOffset(accessFile), requesterClass);
      const loads = `floor ${loadFloor}, service ${loadService}`;
      out(
        '',
        `### ${phase}: ${offsets.length} arrivals (floor ${floorWall.toFixed(1)} s, service ${wall.toFixed(1)} s of wall time)`,
        `load average at start: ${loads}; floor ${floorCpu}; service ${serviceCpu}`,
        `floor: ${floorWork}`,
        `service: ${serviceWork}`,
        `service: ${describeCaches(serviceWork0, serviceWork1)}`,
        ...(accessFile
          ? [
              `floor: ${describeAccessWork(floorAccess, offsets.length)}`,
              `service: ${describeAccessWork(serviceAccess, offsets.length, 12)}`,
            ]
          : []),
      );
      report(phase, floor, service, loads);
      if (countEvents) {
        // Let the closes finish (goodbye, entry, notice, audit, kick), then count what each conversation wrote.
        await sleep(15_000);
        const describe = (event: Ev) =>
          `${event.type === 'm.room.member' ? `m.room.member ${String(event.content.membership)}` : event.type} (${event.sender === botId ? 'bot' : event.sender.includes('arrivals-') ? 'agent' : 'guest'})`;
        const perRoom = new Map<string, number>();
        for (const roomId of opened) {
          for (const [label, count] of countBy(await readTimeline(base, adminToken, roomId), describe))
            perRoom.set(`young person's room: ${label}`, (perRoom.get(`young person's room: ${label}`) ?? 0) + count);
        }
        for (const [index, room] of forceRooms.entries()) {
          for (const [label, count] of countBy(
            await readTimeline(base, adminToken, room.roomId, ends[index]),
            describe,
          ))
            perRoom.set(`${room.label}: ${label}`, (perRoom.get(`${room.label}: ${label}`) ?? 0) + count);
        }
        let floorEvents = 0;
        for (const roomId of floorRoomIds) floorEvents += (await readTimeline(base, floorAdmin.token, roomId)).length;
        const total = [...perRoom.values()].reduce((a, b) => a + b, 0);
        out(
          '',
          `Events per conversation (read back from Synapse, ${opened.length} conversations closed by an agent; floor: ${floorRoomIds.length} rooms):`,
          '| room: event type (sender) | per conversation |',
          '|---|---|',
        );
        for (const [label, count] of [...perRoom].sort((a, b) => b[1] - a[1]))
          out(`| ${label} | ${(count / Math.max(1, opened.length)).toFixed(2)} |`);
        out(
          `| **all rooms, service** | **${(total / Math.max(1, opened.length)).toFixed(1)}** |`,
          `| **raw floor** | **${(floorEvents / Math.max(1, floorRoomIds.length)).toFixed(1)}** |`,
        );
        result.notes.push(
          `events per conversation (${phase}): service ${(total / Math.max(1, opened.length)).toFixed(1)}, raw floor ${(floorEvents / Math.max(1, floorRoomIds.length)).toFixed(1)}`,
        );
      }
    };

    await arrivals('0.5 per second, evenly', evenly(SIZES.slow, 0.5));
    await arrivals('2 per second, Poisson', poisson(SIZES.poisson, 2, 13), true);
    await arrivals(
      'burst, all at once',
      Array.from({ length: SIZES.burst }, () => 0),
    );

    // Past conversations: closed, not purged, for the start-up phase.
    if (SIZES.past > closedCount && SIZES.pastCopy) {
      // Copies of a real closed conversation: what a start-up reads of a past one (its room's state, its entry
      // in the queue room), written by the bot's account, without the timeline a real one also has. Through the
      // service's own flow this machine makes about one a second; 10,000 would take hours.
      if (!lastClosed) await fullConversation(new Samples());
      const template = lastClosed;
      if (!template) throw new Error('past conversations: no closed conversation to copy (the service flow failed)');
      const queueRoomId = boot.forces[template.force].queueRoomId;
      let templateEntry: Record<string, unknown> | undefined;
      for (let tries = 0; tries < 60 && templateEntry?.state !== 'closed'; tries++) {
        templateEntry = await admin.getState(queueRoomId, EventType.Conversation, template.roomId);
        if (templateEntry?.state !== 'closed') await sleep(500);
      }
      if (templateEntry?.state !== 'closed') throw new Error('past conversations: the template was not closed');
      const templateState = await admin.roomState(template.roomId);
      const contentOf = (type: string) => templateState.find((event) => event.type === type)?.content ?? {};
      const { creator: _creator, room_version: _version, ...creationContent } = contentOf('m.room.create');
      // Ended two hours ago, the guest's account ended an hour later, as for any conversation older than the
      // grace period (config.ts, `guestGrace`): nothing left for the sweeper to do in it before its retention.
      const closedAt = Date.now() - 2 * 3600_000;
      const shift = closedAt - Number(templateEntry.closedAt);
      const shifted = (content: Record<string, unknown>) =>
        Object.fromEntries(
          Object.entries(content).map(([key, value]) => [
            key,
            key.endsWith('At') && typeof value === 'number' ? value + shift : value,
          ]),
        );
      const copiedState = templateState.filter(
        (event) =>
          event.sender === botId &&
          event.state_key !== undefined &&
          !['m.room.create', 'm.room.member', 'm.room.power_levels'].includes(event.type),
      );
      await Promise.all([...agents.police, ...agents.gendarmerie].map((agent) => agent.session.pause()));
      let ticket = 1_000_000 + addressBase;
      const missing = SIZES.past - closedCount;
      const loadFill = load();
      const meter = cpu();
      const t0 = performance.now();
      let failed = 0;
      await bounded(missing, 8, async (index) => {
        const guest = `@seeded-${addressBase + index}:${boot.serverName}`;
        try {
          const roomId = await admin.createRoom({
            preset: 'private_chat',
            visibility: 'private',
            creation_content: creationContent,
            power_level_content_override: contentOf('m.room.power_levels'),
            initial_state: copiedState.map((event) => ({
              type: event.type,
              state_key: event.state_key,
              content:
                event.type === EventType.ConversationRoom
                  ? { ...shifted(event.content), guest }
                  : event.type === EventType.Status
                    ? shifted(event.content)
                    : event.content,
            })),
          });
          await admin.putState(queueRoomId, EventType.Conversation, roomId, {
            ...shifted(templateEntry),
            ticket: ticket++,
            guestEndedAt: closedAt + 3600_000,
          });
          closedCount++;
        } catch (error) {
          failed++;
          throw error;
        }
      });
      const wall = (performance.now() - t0) / 1000;
      const written = meter();
      // The agents were away while it was written: each catches up in one /sync answer (the queue room's new
      // entries among them), as an agent client does after a night away. Eight at a time.
      const loadCatchUp = load();
      const catchUp: number[] = [];
      const all = [...agents.police, ...agents.gendarmerie];
      const tc = performance.now();
      await bounded(all.length, 8, async (index) => {
        const t = performance.now();
        await all[index]!.session.resume();
        catchUp.push(performance.now() - t);
      });
      const catchUpWall = (performance.now() - tc) / 1000;
      out(
        '',
        `### past conversations: ${missing} copies of a closed one (its room's state and its queue-room entry; no timeline), 8 at a time: ${wall.toFixed(0)} s, ${failed} failed (load average at start ${loadFill}; ${written})`,
        `the ${all.length} agents, away meanwhile, catch up (8 at a time): one /sync each, p50 ${seconds(percentile(catchUp, 50))}, max ${seconds(Math.max(...catchUp))}, all in ${catchUpWall.toFixed(0)} s (load average at start ${loadCatchUp})`,
      );
      result.notes.push(
        `past conversations: ${missing} copies in ${wall.toFixed(0)} s (${failed} failed); agents catching up after them: p50 ${seconds(percentile(catchUp, 50))}, max ${seconds(Math.max(...catchUp))}`,
      );
      await sleep(10_000);
      await restart(`start-up: ${closedCount} past conversations (closed, not purged), none open`);
    } else if (SIZES.past > closedCount) {
      const fill = new Samples();
      const missing = SIZES.past - closedCount;
      const t0 = performance.now();
      const loadFill = load();
      await bounded(missing, SIZES.fill, () => fullConversation(fill));
      const wall = (performance.now() - t0) / 1000;
      out(
        '',
        `### past conversations: ${missing} more through the same flow, ${SIZES.fill} at a time: ${wall.toFixed(0)} s (${(missing / wall).toFixed(2)} conversations a second end to end; load average at start ${loadFill})`,
      );
      result.notes.push(
        `past conversations made ${SIZES.fill} at a time: ${(missing / wall).toFixed(2)} per second end to end (load ${loadFill})`,
      );
    }
    await sleep(10_000);

    // Held load.
    if (SIZES.held > 0) {
      const held = new Samples();
      const open: Conversation[] = [];
      const loadOpen = load();
      const openWork = await readSynapseWork(metricsUrl);
      const t0 = performance.now();
      await bounded(SIZES.held, SIZES.fill, async () => void open.push(await intake(held)));
      const openWall = (performance.now() - t0) / 1000;
      const assigned = open.slice(0, Math.min(SIZES.heldAssigned, open.length));
      await bounded(assigned.length, SIZES.fill, (index) => claim(held, assigned[index]!));
      const ready = assigned.filter((conversation) => conversation.joined);
      await sleep(3000);
      const loadHeld = load();
      const meter = cpu();
      const chatWork = await readSynapseWork(metricsUrl);
      const relay = new Samples();
      let sent = 0;
      // A message the agent's client has not seen within 60 s is followed to the end of the phase and beyond
      // (LATE_MS more), then looked for in the room itself: late, in the room but never synced, or not there.
      const LATE_MS = 180_000;
      const late: Array<Promise<'late' | 'unsynced' | 'absent'>> = [];
      const lateAfter: number[] = [];
      const deadline = performance.now() + SIZES.heldSeconds * 1000;
      const RELAY = 'young person → agent';
      const FLOOR = "plain user → same agent's client";
      await Promise.all(
        ready.map(async (conversation, index) => {
          const agent = conversation.agent!.session;
          const floorRoom = floorRooms.get(agent.userId)!;
          // Spread the pairs over the interval; each young person writes every 8–12 s (its limit is one per 2 s).
          await sleep((index / ready.length) * 10_000);
          while (performance.now() < deadline) {
            const marker = randomUUID();
            sent++;
            await Promise.all([
              relay
                .time(RELAY, async () => {
                  await conversation.guest.send(conversation.roomId, { msgtype: 'm.text', body: `relay-${marker}` });
                  const sentAt = performance.now();
                  const seen = (events: Ev[]) => events.some((event) => event.content.body === `relay-${marker}`);
                  try {
                    await agent.waitFor(conversation.roomId, seen, 60_000);
                  } catch (error) {
                    late.push(
                      agent.waitFor(conversation.roomId, seen, LATE_MS).then(
                        () => {
                          lateAfter.push(performance.now() - sentAt);
                          return 'late' as const;
                        },
                        async () => {
                          const timeline = await readTimeline(base, agent.token, conversation.roomId);
                          return timeline.some((event) => event.content.body === `relay-${marker}`)
                            ? ('unsynced' as const)
                            : ('absent' as const);
                        },
                      ),
                    );
                    throw error;
                  }
                })
                .catch(() => undefined),
              relay
                .time(FLOOR, async () => {
                  await floorWriter.send(floorRoom, { msgtype: 'm.text', body: `floor-${marker}` });
                  await agent.waitFor(
                    floorRoom,
                    (events) => events.some((event) => event.content.body === `floor-${marker}`),
                    60_000,
                  );
                })
                .catch(() => undefined),
            ]);
            await agent.send(conversation.roomId, { msgtype: 'm.text', body: 'réponse' }).catch(() => undefined);
            agent.forget(floorRoom);
            await sleep(8000 + Math.random() * 4000);
          }
        }),
      );
      const heldCpu = meter();
      const endWork = await readSynapseWork(metricsUrl);
      const botRss = rssMiB(bot.pid);
      const synapseRss = rssMiB(synapsePid);
      const fates = await Promise.all(late);
      const lost = fates.filter((fate) => fate !== 'late').length;
      const unseen =
        late.length === 0
          ? 'none'
          : `${fates.filter((fate) => fate === 'late').length} seen later (at most ${seconds(Math.max(...lateAfter, 0))} after sending), ` +
            `${fates.filter((fate) => fate === 'unsynced').length} in the room but never in the agent's /sync within ${LATE_MS / 1000 + 60} s, ` +
            `${fates.filter((fate) => fate === 'absent').length} not in the room`;
      const r = relay.get(RELAY);
      const f = relay.get(FLOOR);
      out(
        '',
        `### held load: ${open.length} open (${ready.length} assigned and chatting for ${SIZES.heldSeconds} s, ${open.length - ready.length} queued); opened ${SIZES.fill} at a time in ${openWall.toFixed(0)} s`,
        `load average: opening ${loadOpen}, chatting ${loadHeld}; ${heldCpu}; bot RSS ${botRss?.toFixed(0) ?? '?'} MiB, Synapse RSS ${synapseRss?.toFixed(0) ?? '?'} MiB`,
        '| path | n | p50 | p95 | p99 |',
        '|---|---|---|---|---|',
        `| ${RELAY} | ${r.length} | ${seconds(percentile(r, 50))} | ${seconds(percentile(r, 95))} | ${seconds(percentile(r, 99))} |`,
        `| ${FLOOR} (same moments) | ${f.length} | ${seconds(percentile(f, 50))} | ${seconds(percentile(f, 95))} | ${seconds(percentile(f, 99))} |`,
        `ratio p99 ${(percentile(r, 99) / percentile(f, 99)).toFixed(2)}×, p50 ${(percentile(r, 50) / percentile(f, 50)).toFixed(2)}×; messages sent ${sent}, lost ${lost}`,
        `not seen by the agent's client within 60 s: ${late.length} (${unseen})`,
        `opening and claiming: ${describeCaches(openWork, chatWork)}`,
        `chatting: ${describeCaches(chatWork, endWork)}`,
      );
      result.rows.push({
        phase: 'held load',
        step: 'young person → agent (p99 in the summary)',
        floor: f,
        service: r,
        errors: lost,
        loads: loadHeld,
      });
      result.notes.push(
        `held load ${open.length} open (${ready.length} assigned): young person → agent p99 ${seconds(percentile(r, 99))} vs floor ${seconds(percentile(f, 99))} (${(percentile(r, 99) / percentile(f, 99)).toFixed(2)}×), lost ${lost}/${sent} (not seen within 60 s: ${late.length}; ${unseen}), bot RSS ${botRss?.toFixed(0)} MiB, Synapse RSS ${synapseRss?.toFixed(0)} MiB (load ${loadHeld})`,
      );
      result.notes.push(
        `held load: intake of ${open.length}, ${SIZES.fill} at a time: first question p50 ${seconds(percentile(held.get('first question'), 50))}, p95 ${seconds(percentile(held.get('first question'), 95))}; claim → told p95 ${seconds(percentile(held.get('claim → young person told'), 95))} ` +
          `(${assigned.length} claimed, ${held.get('claim → young person told').length} told within 120 s, ${ready.length} joined by their agent` +
          `${held.reasons.size > 0 ? `; ${[...held.reasons].map(([why, n]) => `${why} ×${n}`).join('; ')}` : ''})`,
      );
      for (const conversation of open) conversation.guest.stop();
    }

    // Start-up with everything above.
    await restart(`start-up: ${closedCount} past conversations (closed, not purged), ${SIZES.held} open`);
    return result;
  } finally {
    for (const session of sessions) session.stop();
    await bot?.stop();
    await hs?.stop();
    await postgres?.stop();
    if (process.env.BENCH_KEEP_DATA) process.stderr.write(`kept ${dataDir}\n`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

out(`# Arrivals bench; ${new Date().toISOString()}; ${JSON.stringify(SIZES)}; load average ${load()} (2 shared cores)`);
const results: EngineResult[] = [];
for (const [index, engine] of ENGINES.entries()) {
  try {
    results.push(await runEngine(engine, index * 100_000));
  } catch (error) {
    out(`${engine}: the run failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
if (results.length > 0) {
  out(
    '',
    '## Side by side (p50 / p95; ratio = service ÷ raw floor of the same run)',
    '',
    `| phase | step | ${results.map((r) => `${r.engine}: floor | ${r.engine}: service | ${r.engine}: ratio`).join(' | ')} |`,
    `|---|---|${results.map(() => '---|---|---|').join('')}`,
  );
  const keys = results[0]!.rows.map((row) => [row.phase, row.step] as const);
  for (const [phase, step] of keys) {
    const cells = results.map((r) => {
      const row = r.rows.find((item) => item.phase === phase && item.step === step);
      if (!row) return '— | — | —';
      const held = phase === 'held load';
      const [a, b] = held ? [50, 99] : [50, 95];
      const floor = row.floor ? `${seconds(percentile(row.floor, a))} / ${seconds(percentile(row.floor, b))}` : '—';
      const ratio = row.floor
        ? `${(percentile(row.service, a) / percentile(row.floor, a)).toFixed(2)}× / ${(percentile(row.service, b) / percentile(row.floor, b)).toFixed(2)}×`
        : '—';
      return `${floor} | ${seconds(percentile(row.service, a))} / ${seconds(percentile(row.service, b))}${row.errors ? ` (${row.errors} err)` : ''} | ${ratio}`;
    });
    out(`| ${phase} | ${step}${phase === 'held load' ? ' (p50 / p99)' : ''} | ${cells.join(' | ')} |`);
  }
  for (const r of results) out('', `${r.engine} (${r.version}):`, ...r.notes.map((note) => `- ${note}`));
  out('', `load average at the end ${load()}`);
}
setTimeout(() => process.exit(0), 200).unref();
