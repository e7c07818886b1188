/**
 * A stand-in for the bot's HTTP API (protocol/src/api.ts), enough to drive the young person's site against a
 * real Synapse until the real bot's API lands: it opens a room per guest, posts one triage question, and lets a
 * test move the conversation along (queue, assign an agent, close) through /test/* endpoints.
 * Not for production: no persistence, no routing, no audit.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ContentKey, EventType, type PublicStatus, type TriageQuestionContent } from '@espace-mineurs/protocol';

export interface FakeBotOptions {
  homeserverUrl: string;
  botToken: string;
  port: number;
}

interface Conversation {
  roomId: string;
  guest: string;
  status: PublicStatus;
}

export const FAKE_TRIAGE: TriageQuestionContent = {
  questionId: 'context',
  options: [
    { id: 'home', number: 1, label: 'À la maison, dans la rue, au sport' },
    { id: 'online', number: 2, label: 'Sur les réseaux sociaux' },
    { id: 'school', number: 3, label: 'Au sein de l’école, du collège ou du lycée' },
  ],
  expectsText: false,
  skip: { id: 'skip', label: 'Parler tout de suite à quelqu’un' },
};

export async function startFakeBot(options: FakeBotOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const conversations = new Map<string, Conversation>();
  let txn = 0;

  async function matrix(method: string, path: string, body?: unknown, token = options.botToken): Promise<Record<string, unknown>> {
    const response = await fetch(`${options.homeserverUrl}/_matrix/client/v3${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw Object.assign(new Error(`${method} ${path}: ${response.status}`), { status: response.status, json });
    return json;
  }

  async function setStatus(conversation: Conversation, patch: Partial<PublicStatus>): Promise<void> {
    conversation.status = { ...conversation.status, ...patch, updatedAt: Date.now() };
    await matrix('PUT', `/rooms/${encodeURIComponent(conversation.roomId)}/state/${EventType.Status}/`, conversation.status);
  }

  async function say(roomId: string, content: Record<string, unknown>): Promise<void> {
    await matrix('PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/fake-${Date.now()}-${txn++}`, content);
  }

  async function open(guest: string): Promise<{ created: boolean; conversation: Conversation }> {
    const existing = conversations.get(guest);
    if (existing && existing.status.state !== 'closed') return { created: false, conversation: existing };
    const room = await matrix('POST', '/createRoom', {
      preset: 'private_chat',
      invite: [guest],
      initial_state: [
        { type: 'm.room.guest_access', state_key: '', content: { guest_access: 'can_join' } },
        { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } },
      ],
    });
    const conversation: Conversation = { roomId: String(room.room_id), guest, status: { state: 'triage', agentJoined: false, updatedAt: Date.now() } };
    conversations.set(guest, conversation);
    await setStatus(conversation, {});
    await say(conversation.roomId, { msgtype: 'm.text', body: 'Bonjour, tu es au bon endroit.', [ContentKey.Service]: true });
    const lines = ['Où est-ce que ça se passe ?', ...FAKE_TRIAGE.options.map((o) => `${o.number}. ${o.label}`)];
    await say(conversation.roomId, { msgtype: 'm.text', body: lines.join('\n'), [ContentKey.Service]: true, [ContentKey.TriageQuestion]: FAKE_TRIAGE });
    return { created: true, conversation };
  }

  function send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  function apiError(res: ServerResponse, status: number, code: string, message: string): void {
    send(res, status, { error: { code, message } });
  }

  async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-headers', 'authorization, content-type');
    res.setHeader('access-control-allow-methods', 'GET, POST');
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const url = new URL(req.url ?? '/', 'http://fake');
    // A neutral page on another origin, for the quick exit to land on in tests.
    if (url.pathname === '/neutre') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end('<!doctype html><html lang="fr"><title>Météo</title><h1>Météo du jour</h1></html>');
    }

    if (url.pathname.startsWith('/test/')) {
      const body = await readJson(req);
      const conversation = [...conversations.values()].find((c) => c.roomId === body.roomId) ?? [...conversations.values()].at(-1);
      if (!conversation) return apiError(res, 404, 'NO_CONVERSATION', 'none');
      if (url.pathname === '/test/queue') await setStatus(conversation, { state: 'queued', position: Number(body.position ?? 2), estimatedWaitSeconds: Number(body.wait ?? 240) });
      else if (url.pathname === '/test/assign') {
        await matrix('POST', `/rooms/${encodeURIComponent(conversation.roomId)}/invite`, { user_id: body.agent });
        await setStatus(conversation, { state: 'assigned', agentJoined: true, agentPseudonym: String(body.pseudonym ?? 'Camille'), position: undefined, estimatedWaitSeconds: undefined });
      } else if (url.pathname === '/test/close') await setStatus(conversation, { state: 'closed' });
      return send(res, 200, { roomId: conversation.roomId, status: conversation.status });
    }

    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return apiError(res, 401, 'UNAUTHENTICATED', 'Connexion requise.');
    let whoami: Record<string, unknown>;
    try {
      whoami = await matrix('GET', '/account/whoami', undefined, token);
    } catch {
      return apiError(res, 401, 'UNAUTHENTICATED', 'Connexion requise.');
    }
    if (whoami.is_guest !== true) return apiError(res, 403, 'NOT_A_GUEST', 'Réservé aux invités.');
    const guest = String(whoami.user_id);

    if (req.method === 'POST' && url.pathname === '/api/conversations') {
      const { created, conversation } = await open(guest);
      return send(res, created ? 201 : 200, { roomId: conversation.roomId, status: conversation.status });
    }
    const conversation = conversations.get(guest);
    if (!conversation) return apiError(res, 404, 'NO_CONVERSATION', 'Aucune conversation en cours.');
    if (req.method === 'GET' && url.pathname === '/api/conversations/current') {
      return send(res, 200, { roomId: conversation.roomId, status: conversation.status });
    }
    if (req.method === 'POST' && url.pathname === '/api/conversations/current/end') {
      await setStatus(conversation, { state: 'closed' });
      await say(conversation.roomId, { msgtype: 'm.text', body: 'Merci, à bientôt.', [ContentKey.Service]: true });
      return send(res, 200, { roomId: conversation.roomId, status: conversation.status });
    }
    return apiError(res, 404, 'BAD_REQUEST', 'Inconnu.');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      process.stderr.write(`fake-bot: ${(error as Error).message}\n`);
      if (!res.headersSent) apiError(res, 500, 'INTERNAL', 'Erreur interne.');
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${options.port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
