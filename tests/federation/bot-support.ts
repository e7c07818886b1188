import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expect } from 'vitest';
import { startFederatedTopology, type FederatedServer, type FederatedTopology } from '@espace-mineurs/synapse';
import { aclHost, bootstrapFederated, type FederatedBootstrapResult } from '@espace-mineurs/bot/federation';
import {
  EventType,
  SafetyEventType,
  type CommandResultContent,
  type ConversationEntry,
  type Force,
} from '@espace-mineurs/protocol';
import { spawnBot, type ChildBot } from '../support/bot-process.ts';
import { freshAddress, resultOf } from '../support/conversation.ts';
import { call, join as joinRoom, send, waitFor, type ServerSession } from './support.ts';

/** What the files running the real bot in the federated topology share: logins, commands, entries, server copies. */
export type Role = 'public' | Force;

export interface Deployment {
  topology: FederatedTopology;
  result: FederatedBootstrapResult;
  bot: ChildBot;
}

/** The servers and what the bootstrap made on them, without a bot process (enough for most helpers below). */
export type Servers = Pick<Deployment, 'topology' | 'result'>;

export interface RunningDeployment extends Deployment {
  /** The bot's state folder: a test restarting the bot with other settings passes it again. */
  stateDir: string;
  /** Stops the bot (the current one, if a test replaced it) and the servers, and removes the folder. */
  stop(): Promise<void>;
}

function running(server: FederatedServer) {
  const current = server.current();
  if (!current) throw new Error(`${server.role} is stopped`);
  return current;
}

/**
 * A whole federated deployment in a fresh folder: the three servers, the federated bootstrap with demo staff, and
 * the real bot process (with `env` added to its environment). ESPACE_KEEP_TEST_DATA keeps the folder.
 */
export async function startDeployment(name: string, env: Record<string, string> = {}): Promise<RunningDeployment> {
  const dataDir = mkdtempSync(join(tmpdir(), `espace-federation-${name}-`));
  const topology = await startFederatedTopology({
    dataDir: join(dataDir, 'servers'),
    layers: ['test'],
    federationPort: 0,
    clientPort: 0,
  });
  const servers = {
    public: running(topology.servers.public),
    police: running(topology.servers.police),
    gendarmerie: running(topology.servers.gendarmerie),
  };
  const stateDir = join(dataDir, 'state');
  const result = await bootstrapFederated(servers, { stateDir, demo: true });
  const bot = await spawnBot({ homeserverUrl: servers.public.baseUrl, stateDir, env });
  const deployment: RunningDeployment = {
    topology,
    result,
    bot,
    stateDir,
    async stop() {
      await deployment.bot.stop();
      await topology.stop();
      if (!process.env.ESPACE_KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return deployment;
}

export async function demoLogin(d: Servers, handle: string): Promise<ServerSession> {
  const account = d.result.demo.find((candidate) => candidate.handle === handle);
  if (!account) throw new Error(`no demo account ${handle}`);
  const answer = await call<{ user_id: string; access_token: string }>(
    account.homeserverUrl,
    'POST',
    '/_matrix/client/v3/login',
    {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: account.localpart },
        password: account.password,
      },
    },
  );
  expect(answer.status).toBe(200);
  return { baseUrl: account.homeserverUrl, userId: answer.body.user_id, accessToken: answer.body.access_token };
}

/** The bot's own session on one server (its admin account there). */
export function botSession(d: Servers, role: Role): ServerSession {
  return {
    baseUrl: d.topology.servers[role].baseUrl,
    userId: d.result.bots[role].userId,
    accessToken: d.result.bots[role].accessToken,
  };
}

export interface TimelineEvent {
  event_id: string;
  type: string;
  sender: string;
  state_key?: string;
  content: Record<string, unknown>;
}

export async function timeline(session: ServerSession, roomId: string): Promise<TimelineEvent[]> {
  const answer = await call<{ chunk?: TimelineEvent[] }>(
    session.baseUrl,
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=200`,
    { token: session.accessToken },
  );
  return (answer.body.chunk ?? []).reverse();
}

/** Sends a structured command to a queue room without waiting for its result; returns its request id. */
export async function sendCommand(
  session: ServerSession,
  queueRoomId: string,
  body: Record<string, unknown>,
): Promise<string> {
  const requestId = randomUUID();
  const sent = await call(
    session.baseUrl,
    'PUT',
    `/_matrix/client/v3/rooms/${encodeURIComponent(queueRoomId)}/send/${EventType.Command}/${requestId}`,
    { token: session.accessToken, body: { ...body, requestId } },
  );
  expect(sent.status).toBe(200);
  return requestId;
}

/** A structured command in a queue room, and the bot's result to it. */
export async function command(
  session: ServerSession,
  queueRoomId: string,
  body: Record<string, unknown>,
): Promise<CommandResultContent> {
  const requestId = await sendCommand(session, queueRoomId, body);
  return waitFor(`the result of ${String(body.action)}`, async () => {
    return (await timeline(session, queueRoomId)).map(resultOf).find((result) => result?.requestId === requestId);
  });
}

/** The conversation's entry in a force's queue room, read on that force's server by the bot's account there. */
export async function entryOf(d: Deployment, force: Force, roomId: string): Promise<ConversationEntry | undefined> {
  const queue = d.result.forces[force].queueRoomId;
  const answer = await call<ConversationEntry>(
    d.topology.servers[force].baseUrl,
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(queue)}/state/${encodeURIComponent(EventType.Conversation)}/${encodeURIComponent(roomId)}`,
    { token: d.result.bots[force].accessToken },
  );
  return answer.status === 200 ? answer.body : undefined;
}

/** Whether a server still knows the room, by its admin API (404 once purged there, or when it never held it). */
export async function known(d: Servers, role: Role, roomId: string): Promise<boolean> {
  const answer = await call(
    d.topology.servers[role].baseUrl,
    'GET',
    `/_synapse/admin/v1/rooms/${encodeURIComponent(roomId)}`,
    { token: d.result.bots[role].accessToken },
  );
  if (answer.status !== 200 && answer.status !== 404)
    throw new Error(`admin room lookup on ${role} answered ${answer.status}`);
  return answer.status === 200;
}

/** Rows mentioning the room in the server's own database (SQLite here), read directly, not through Synapse. */
export function rowsInDatabase(d: Servers, role: Role, roomId: string): number {
  const file = join(d.topology.servers[role].dataDir, 'homeserver.db');
  if (!existsSync(file)) throw new Error(`no database at ${file}`);
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    let rows = 0;
    for (const table of ['events', 'current_state_events', 'event_json', 'room_memberships', 'rooms']) {
      const row = db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE room_id = ?`).get(roomId) as { n: number };
      rows += row.n;
    }
    return rows;
  } finally {
    db.close();
  }
}

/** The young person's room's current state event of `type`, as the public server holds it. */
export async function roomState<T>(session: ServerSession, roomId: string, type: string): Promise<T> {
  const answer = await call<T>(
    session.baseUrl,
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${type}/`,
    { token: session.accessToken },
  );
  expect(answer.status).toBe(200);
  return answer.body;
}

/**
 * A guest of the public server opens a conversation through the bot and answers the triage up to `postalCode`
 * (92100 routes to the police, 22300 to the gendarmerie); returns once it is queued.
 */
export async function openAndTriage(
  d: Deployment,
  postalCode: string,
  force: Force,
): Promise<{ guest: ServerSession; roomId: string }> {
  const publicUrl = d.topology.servers.public.baseUrl;
  const registered = await call<{ user_id: string; access_token: string }>(
    publicUrl,
    'POST',
    '/_matrix/client/v3/register?kind=guest',
    { body: {} },
  );
  expect(registered.status).toBe(200);
  const guest = { baseUrl: publicUrl, userId: registered.body.user_id, accessToken: registered.body.access_token };
  const opened = await fetch(`${d.bot.url}/api/conversations`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${guest.accessToken}`,
      'content-type': 'application/json',
      'x-forwarded-for': freshAddress(),
    },
    body: '{}',
  });
  expect(opened.status).toBe(201);
  const { roomId } = (await opened.json()) as { roomId: string };
  await joinRoom(guest, roomId, d.result.servers.public.serverName);
  const publicBot = d.result.servers.public.botUserId;
  const botCount = async () =>
    (await timeline(guest, roomId)).filter((event) => event.sender === publicBot && event.type === 'm.room.message')
      .length;
  await waitFor('the first question', async () => ((await botCount()) > 0 ? true : undefined));
  for (const answer of ['1', '1', '6', '2', '4', postalCode]) {
    const before = await botCount();
    expect((await send(guest, roomId, answer)).status).toBe(200);
    await waitFor(`the bot's reply to ${answer}`, async () => ((await botCount()) > before ? true : undefined));
  }
  await waitFor(`queued for the ${force}`, async () =>
    (await entryOf(d, force, roomId))?.state === 'queued' ? true : undefined,
  );
  return { guest, roomId };
}

/** Events in the server's own database whose JSON contains `text` (SQLite, read directly): what the server holds. */
export function eventsContaining(d: Deployment, role: Role, text: string): number {
  const db = new DatabaseSync(join(d.topology.servers[role].dataDir, 'homeserver.db'), { readOnly: true });
  try {
    const row = db.prepare(`SELECT COUNT(*) AS n FROM event_json WHERE instr(json, ?) > 0`).get(text) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

/** Members joined or invited in the young person's room, as the session's server holds it. */
export async function present(session: ServerSession, roomId: string): Promise<string[]> {
  const answer = await call<{ chunk: Array<{ state_key: string; content: { membership?: string } }> }>(
    session.baseUrl,
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/members`,
    { token: session.accessToken },
  );
  expect(answer.status).toBe(200);
  return answer.body.chunk
    .filter((event) => event.content.membership === 'join' || event.content.membership === 'invite')
    .map((event) => event.state_key);
}

/** Whether a user's account is on that server (compared as the ACL compares hosts). */
export const onServer = (userId: string, serverName: string): boolean =>
  aclHost(userId.slice(userId.indexOf(':') + 1)) === aclHost(serverName);

/** A force's disclosure requests for a conversation, as its supervisors room holds them on the force's server. */
export async function disclosureRequests(
  d: Servers,
  supervisor: ServerSession,
  force: Force,
  roomId: string,
): Promise<Array<Record<string, unknown>>> {
  const answer = await call<Array<{ type: string; content: Record<string, unknown> }>>(
    supervisor.baseUrl,
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(d.result.forces[force].supervisorsRoomId)}/state`,
    { token: supervisor.accessToken },
  );
  expect(answer.status).toBe(200);
  return answer.body
    .filter((event) => event.type === SafetyEventType.Disclosure && event.content.conversation === roomId)
    .map((event) => event.content);
}

/** Downloads an mxc URI through `session`'s own server, as its client would (over federation when remote). */
export async function downloadAs(session: ServerSession, mxc: string): Promise<{ status: number; bytes: Buffer }> {
  const match = /^mxc:\/\/([^/]+)\/([^/]+)$/.exec(mxc);
  if (!match) throw new Error(`not an mxc URI: ${mxc}`);
  const response = await fetch(
    `${session.baseUrl}/_matrix/client/v1/media/download/${encodeURIComponent(match[1]!)}/${encodeURIComponent(match[2]!)}`,
    { headers: { authorization: `Bearer ${session.accessToken}` }, signal: AbortSignal.timeout(60_000) },
  );
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
}

/**
 * The copies of one media a server's own database records (SQLite, read directly): `local` when it was uploaded
 * there, `remote` when the server fetched it from its origin over federation and cached it.
 */
export function mediaCopies(d: Servers, role: Role, mxc: string): { local: number; remote: number } {
  const [, origin, mediaId] = /^mxc:\/\/([^/]+)\/([^/]+)$/.exec(mxc) ?? [];
  if (!origin || !mediaId) throw new Error(`not an mxc URI: ${mxc}`);
  const db = new DatabaseSync(join(d.topology.servers[role].dataDir, 'homeserver.db'), { readOnly: true });
  try {
    const local = db.prepare('SELECT COUNT(*) AS n FROM local_media_repository WHERE media_id = ?').get(mediaId) as {
      n: number;
    };
    const remote = db
      .prepare('SELECT COUNT(*) AS n FROM remote_media_cache WHERE media_origin = ? AND media_id = ?')
      .get(origin, mediaId) as { n: number };
    return { local: local.n, remote: remote.n };
  } finally {
    db.close();
  }
}
