import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../bot/src/admin/cli.ts';
import type { ConversationEntry } from '@espace-mineurs/protocol';
import { startTestBot, type RunningBot } from '../support/bot-process.ts';
import { startIsolatedStack, type IsolatedStack } from '../support/isolated-stack.ts';
import { matrixRequest, type Session } from '../support/matrix.ts';
import { answerTriage, api, command, entryOf, join, timeline, waitUntil } from '../support/conversation.ts';

/** Short retention, disclosure expiry and guest grace: a stack and a bot of their own. */
const BOT_OVERRIDES = {
  timeouts: { guestGrace: 1, sweepInterval: 0.3 },
  retention: { period: 4, sweepInterval: 0.5, disclosureTtl: 3, disclosureRoomPeriod: 3, staffRoomPeriod: 86_400, exportPeriod: 3 },
};
let stack: IsolatedStack;
let bot: RunningBot;

beforeAll(async () => {
  stack = await startIsolatedStack();
  bot = await startTestBot({
    homeserverUrl: stack.homeserver.baseUrl,
    stateDir: stack.dataDir,
    overrides: BOT_OVERRIDES,
  });
});

afterAll(async () => {
  await bot?.stop();
  await stack?.stop();
});

const hs = () => stack.homeserver.baseUrl;
const botToken = () => stack.result.bot.accessToken;
const police = () => stack.result.forces.police;

const guest = (): Promise<Session> => stack.guest();
const login = (localpart: string): Promise<Session> => stack.login(localpart);

/** A conversation queued with the police (Val-de-Marne), as its young person (from `address` if given). */
async function queuedWithPolice(address?: string): Promise<{ young: Session; roomId: string }> {
  const young = await guest();
  const opened = await api<{ roomId: string }>('POST', '/api/conversations', { token: young.accessToken, botUrl: bot.url, ...(address ? { ip: address } : {}), body: { context: 'ecole' } });
  expect(opened.status).toBe(201);
  const roomId = opened.body.roomId;
  await join(young, roomId, hs());
  await answerTriage(young, roomId, ['2', '3', '2', '4', '94000'], hs());
  await waitUntil('queued with the police', async () => ((await entry(roomId))?.state === 'queued' ? true : undefined));
  return { young, roomId };
}

const entry = (roomId: string): Promise<ConversationEntry | undefined> => entryOf(roomId, 'police', { baseUrl: hs(), botToken: botToken(), queueRoomId: police().queueRoomId });

interface ServedEvent {
  event_id: string;
  type: string;
  state_key?: string;
  content: Record<string, unknown>;
  unsigned?: { replaces_state?: string; redacted_because?: unknown };
}

async function supervisorsState<T = Record<string, unknown>>(type: string, stateKey: string): Promise<T | undefined> {
  const response = await matrixRequest<T>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(police().supervisorsRoomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`, { token: botToken(), baseUrl: hs() });
  return response.status === 200 ? response.body : undefined;
}

/** Every earlier version of a state event, oldest last, as Synapse now serves them. */
async function earlierVersions(roomId: string, type: string, stateKey: string): Promise<ServedEvent[]> {
  const state = await matrixRequest<ServedEvent[]>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`, { token: botToken(), baseUrl: hs() });
  let previous = state.body.find((event) => event.type === type && event.state_key === stateKey)?.unsigned?.replaces_state;
  const versions: ServedEvent[] = [];
  while (previous) {
    const version = await matrixRequest<ServedEvent>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(previous)}`, { token: botToken(), baseUrl: hs() });
    if (version.status !== 200) break;
    versions.push(version.body);
    previous = version.body.unsigned?.replaces_state;
  }
  return versions;
}

async function mediaStatus(mxc: string, token: string): Promise<number> {
  const [, server, id] = /^mxc:\/\/([^/]+)\/(.+)$/.exec(mxc)!;
  const response = await fetch(`${hs()}/_matrix/client/v1/media/download/${server}/${id}`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

async function roomKnownToAdmin(roomId: string): Promise<boolean> {
  const response = await matrixRequest('GET', `/_synapse/admin/v1/rooms/${encodeURIComponent(roomId)}`, { token: botToken(), baseUrl: hs() });
  return response.status === 200;
}

async function auditActions(roomId: string): Promise<unknown[]> {
  const audit = await timeline({ accessToken: botToken() }, police().auditRoomId, 300, hs());
  return audit.filter((event) => event.content.conversation === roomId).map((event) => event.content.action);
}

/** When the bot's last successful retention sweep finished (ms since the epoch; 0 before the first), from /metrics. */
async function lastRetentionSweepAt(): Promise<number> {
  const text = await (await fetch(`${bot.url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith('espace_retention_last_success_timestamp_seconds '));
  return line ? Number(line.split(' ')[1]) * 1000 : 0;
}

describe('retention, legal hold, guest ending and disclosure expiry through the running bot', () => {
  it('deletes a closed conversation with purge once its period ends; a legal hold keeps another; the guest is locked', async () => {
    const supervisor = await login('pn-superviseur-1');
    const agent = await login('pn-agent-1');
    const deleted = await queuedWithPolice();
    const held = await queuedWithPolice();
    const queue = police().queueRoomId;
    const options = { baseUrl: hs() };
    expect(await command(agent, queue, { action: 'legal_hold', conversation: held.roomId, hold: true, reason: 'réquisition du parquet' }, options)).toMatchObject({ ok: false, code: 'NOT_SUPERVISOR' });
    expect(await command(supervisor, queue, { action: 'legal_hold', conversation: held.roomId, hold: true, reason: 'réquisition du parquet' }, options)).toMatchObject({ ok: true });
    for (const { roomId } of [deleted, held]) expect(await command(supervisor, queue, { action: 'close', conversation: roomId, outcome: 'none' }, options)).toMatchObject({ ok: true });
    const retention = await matrixRequest<{ max_lifetime?: number }>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(deleted.roomId)}/state/m.room.retention/`, { token: botToken(), baseUrl: hs() });
    expect(retention.body.max_lifetime).toBe(4000);

    await waitUntil('the room deleted with purge', async () => ((await roomKnownToAdmin(deleted.roomId)) ? undefined : true), 30_000);
    await waitUntil('the deletion audited', async () => ((await auditActions(deleted.roomId)).includes('delete') ? true : undefined));
    await waitUntil('the entry rewritten without its triage', async () => ((await entry(deleted.roomId))?.triage === undefined ? true : undefined));
    // The guest token no longer works (locked, then deactivated).
    await waitUntil('the guest locked', async () => {
      const whoami = await matrixRequest('GET', '/_matrix/client/v3/account/whoami', { token: deleted.young.accessToken, baseUrl: hs() });
      return whoami.status === 401 ? true : undefined;
    });

    // The held one stays, past its period, through a whole retention sweep begun after the other was deleted.
    const seen = Date.now();
    const first = await waitUntil('a retention sweep to finish after the deletion', async () => ((await lastRetentionSweepAt()) > seen ? lastRetentionSweepAt() : undefined));
    await waitUntil('the next retention sweep to finish', async () => ((await lastRetentionSweepAt()) > first ? true : undefined));
    expect(await roomKnownToAdmin(held.roomId)).toBe(true);
    await waitUntil('the hold audited', async () => ((await auditActions(held.roomId)).includes('legal_hold') ? true : undefined));
    // Lifted: it goes at the next sweep.
    expect(await command(supervisor, queue, { action: 'legal_hold', conversation: held.roomId, hold: false, reason: 'procédure close' }, options)).toMatchObject({ ok: true });
    await waitUntil('the released room deleted', async () => ((await roomKnownToAdmin(held.roomId)) ? undefined : true), 30_000);
    await waitUntil('the lift and the deletion audited', async () => {
      const actions = await auditActions(held.roomId);
      return actions.includes('legal_hold_lift') && actions.includes('delete') ? true : undefined;
    });
  });

  it('a request to lift anonymity nobody decides expires, audited and announced to supervisors', async () => {
    const agent = await login('pn-agent-1');
    const supervisor = await login('pn-superviseur-1');
    const { roomId } = await queuedWithPolice();
    const queue = police().queueRoomId;
    expect(await command(agent, queue, { action: 'disclosure_request', conversation: roomId, reason: 'Menace de passage à l’acte ce soir.' }, { baseUrl: hs() })).toMatchObject({ ok: true });
    await waitUntil('the expiry audited', async () => ((await auditActions(roomId)).includes('disclosure_expire') ? true : undefined), 20_000);
    // The audit comes first, then the request's state, then the notice: wait for the last one.
    const events = await waitUntil('the expiry notice in the supervisors room', async () => {
      const found = await timeline(supervisor, police().supervisorsRoomId, 100, hs());
      return found.some((event) => String(event.content.body ?? '').includes('expirée sans décision')) ? found : undefined;
    });
    const request = events.find((event) => event.type === 'fr.espace-mineurs.disclosure' && event.content.conversation === roomId);
    const id = String(request?.state_key);
    const state = await matrixRequest<{ status: string }>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(police().supervisorsRoomId)}/state/fr.espace-mineurs.disclosure/${id}`, { token: supervisor.accessToken, baseUrl: hs() });
    expect(state.body.status).toBe('expired');
    expect(await command(supervisor, queue, { action: 'disclosure_decision', conversation: roomId, disclosure: id, decision: 'approve' }, { baseUrl: hs() })).toMatchObject({ ok: false, code: 'EXPIRED' });
  });

  it('deletes a disclosure room (it holds connection IPs) with purge once its period ends', async () => {
    const agent = await login('pn-agent-2');
    const supervisor = await login('pn-superviseur-1');
    const { roomId } = await queuedWithPolice();
    const queue = police().queueRoomId;
    const options = { baseUrl: hs() };
    expect(await command(agent, queue, { action: 'disclosure_request', conversation: roomId, reason: 'Danger immédiat signalé par le jeune.' }, options)).toMatchObject({ ok: true });
    const pending = await waitUntil('the pending request', async () => {
      const state = await matrixRequest<Array<{ type: string; state_key: string; content: Record<string, unknown> }>>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(police().supervisorsRoomId)}/state`, { token: supervisor.accessToken, baseUrl: hs() });
      return state.body.find((event) => event.type === 'fr.espace-mineurs.disclosure' && event.content.conversation === roomId && event.content.status === 'pending');
    });
    expect(await command(supervisor, queue, { action: 'disclosure_decision', conversation: roomId, disclosure: pending.state_key, decision: 'approve' }, options)).toMatchObject({ ok: true });
    const disclosureState = () =>
      matrixRequest<{ disclosureRoom?: string; disclosureRoomDeletedAt?: number }>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(police().supervisorsRoomId)}/state/fr.espace-mineurs.disclosure/${pending.state_key}`, { token: supervisor.accessToken, baseUrl: hs() });
    const disclosureRoom = await waitUntil('the disclosure room', async () => (await disclosureState()).body.disclosureRoom);
    const retention = await matrixRequest<{ max_lifetime?: number }>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(disclosureRoom)}/state/m.room.retention/`, { token: botToken(), baseUrl: hs() });
    expect(retention.body.max_lifetime).toBe(3000);
    await waitUntil('the disclosure room deleted with purge', async () => ((await roomKnownToAdmin(disclosureRoom)) ? undefined : true), 30_000);
    await waitUntil('the deletion recorded on the request', async () => ((await disclosureState()).body.disclosureRoomDeletedAt !== undefined ? true : undefined));
    // The requester can no longer read what was disclosed.
    const reread = await matrixRequest('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(disclosureRoom)}/messages?dir=b&limit=10`, { token: agent.accessToken, baseUrl: hs() });
    expect(reread.status).not.toBe(200);
  });

  it('close and cool down: that guest and that address are refused with 429 and a kind French message; others are not', async () => {
    const agent = await login('pn-agent-1');
    const address = '10.252.0.7';
    const { young, roomId } = await queuedWithPolice(address);
    const queue = police().queueRoomId;
    expect(await command(agent, queue, { action: 'duty', onDuty: true, capacity: 5 }, { baseUrl: hs() })).toMatchObject({ ok: true });
    expect(await command(agent, queue, { action: 'claim', conversation: roomId }, { baseUrl: hs() })).toMatchObject({ ok: true });
    expect(await command(agent, queue, { action: 'close', conversation: roomId, outcome: 'none', coolDownMinutes: 30 }, { baseUrl: hs() })).toMatchObject({ ok: true });

    const again = await api<{ error: { code: string; message: string } }>('POST', '/api/conversations', { token: young.accessToken, botUrl: bot.url, ip: '10.252.0.8' });
    expect(again.status).toBe(429);
    expect(again.body.error.code).toBe('COOLING_DOWN');
    expect(again.body.error.message).toMatch(/17 ou le 112/);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(25 * 60);
    const sameAddress = await api<{ error: { code: string } }>('POST', '/api/conversations', { token: (await guest()).accessToken, botUrl: bot.url, ip: address });
    expect(sameAddress.status).toBe(429);
    // Anyone else: a first contact is never blocked.
    expect((await api('POST', '/api/conversations', { token: (await guest()).accessToken, botUrl: bot.url, ip: '10.252.0.9' })).status).toBe(201);
    await waitUntil('the cool-down audited', async () => ((await auditActions(roomId)).includes('cool_down') ? true : undefined));
  });

  it('the queue and supervisors rooms carry a retention policy; a deleted conversation leaves no reason behind in the supervisors room', async () => {
    for (const roomId of [police().queueRoomId, police().supervisorsRoomId]) {
      const policy = await matrixRequest<{ max_lifetime?: number }>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.retention/`, { token: botToken(), baseUrl: hs() });
      expect(policy.body.max_lifetime).toBe(86_400_000);
    }
    const agent = await login('pn-agent-2');
    const supervisor = await login('pn-superviseur-1');
    const { roomId } = await queuedWithPolice();
    const queue = police().queueRoomId;
    const options = { baseUrl: hs() };
    const requested = await command(agent, queue, { action: 'disclosure_request', conversation: roomId, reason: 'Le jeune dit que son beau-père le menace.' }, options);
    expect(requested).toMatchObject({ ok: true });
    const id = String(requested.ref);
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(await command(supervisor, queue, { action: 'disclosure_decision', conversation: roomId, disclosure: id, decision: 'refuse', comment: 'Pas de danger immédiat décrit par Léa.' }, options)).toMatchObject({ ok: true });
    expect(await command(supervisor, queue, { action: 'legal_hold', conversation: roomId, hold: true, reason: 'Plainte de la mère de Léa' }, options)).toMatchObject({ ok: true });
    expect(await command(supervisor, queue, { action: 'close', conversation: roomId, outcome: 'complaint' }, options)).toMatchObject({ ok: true });
    expect(await command(supervisor, queue, { action: 'legal_hold', conversation: roomId, hold: false, reason: 'procédure close' }, options)).toMatchObject({ ok: true });

    await waitUntil('the room deleted with purge', async () => ((await roomKnownToAdmin(roomId)) ? undefined : true), 30_000);
    await waitUntil('its traces removed', async () => ((await supervisorsState<{ scrubbedAt?: number }>('fr.espace-mineurs.retention', roomId))?.scrubbedAt !== undefined ? true : undefined), 20_000);

    const request = await supervisorsState<Record<string, unknown>>('fr.espace-mineurs.disclosure', id);
    expect(request).toMatchObject({ id, status: 'refused', reason: '' });
    expect(request).not.toHaveProperty('refusalReason');
    const hold = await supervisorsState<Record<string, unknown>>('fr.espace-mineurs.legal_hold', roomId);
    expect(hold).toMatchObject({ active: false, reason: '' });
    for (const [type, key] of [['fr.espace-mineurs.disclosure', id], ['fr.espace-mineurs.legal_hold', roomId]] as const) {
      const versions = await earlierVersions(police().supervisorsRoomId, type, key);
      expect(versions.length).toBeGreaterThanOrEqual(2);
      for (const version of versions) {
        expect(version.unsigned?.redacted_because, `${type} ${version.event_id}`).toBeDefined();
        expect(version.content).toEqual({});
      }
    }
    // The audit keeps who did what, never the reasons.
    const actions = await waitUntil('the deletion audited', async () => {
      const found = await auditActions(roomId);
      return found.includes('delete') ? found : undefined;
    });
    expect(actions).toEqual(expect.arrayContaining(['disclosure_request', 'disclosure_refuse', 'legal_hold', 'legal_hold_lift', 'delete']));
  });

  it('the requester can withdraw a pending request to lift anonymity; nobody else can, and it can no longer be approved', async () => {
    const agent = await login('pn-agent-2');
    const other = await login('pn-agent-1');
    const supervisor = await login('pn-superviseur-1');
    const { roomId } = await queuedWithPolice();
    const queue = police().queueRoomId;
    const options = { baseUrl: hs() };
    const requested = await command(agent, queue, { action: 'disclosure_request', conversation: roomId, reason: 'Erreur de manipulation, pas de danger.' }, options);
    const id = String(requested.ref);
    expect(await command(other, queue, { action: 'disclosure_withdraw', conversation: roomId, disclosure: id }, options)).toMatchObject({ ok: false, code: 'NOT_REQUESTER' });
    expect(await command(agent, queue, { action: 'disclosure_withdraw', conversation: roomId, disclosure: 'ffffffff' }, options)).toMatchObject({ ok: false, code: 'UNKNOWN_DISCLOSURE' });
    expect(await command(agent, queue, { action: 'disclosure_withdraw', conversation: roomId, disclosure: id }, options)).toMatchObject({ ok: true });
    expect(await supervisorsState('fr.espace-mineurs.disclosure', id)).toMatchObject({ status: 'withdrawn', decidedBy: agent.userId });
    expect(await command(supervisor, queue, { action: 'disclosure_decision', conversation: roomId, disclosure: id, decision: 'approve' }, options)).toMatchObject({ ok: false, code: 'ALREADY_DECIDED' });
    await waitUntil('the withdrawal audited', async () => ((await auditActions(roomId)).includes('disclosure_withdraw') ? true : undefined));
    const notices = await timeline(supervisor, police().supervisorsRoomId, 50, hs());
    expect(notices.some((event) => String(event.content.body ?? '').includes(`${id} retirée`))).toBe(true);
  });

  it('an export is taken back after its period: its file messages redacted, its files deleted from the media store, audited', async () => {
    const supervisor = await login('pn-superviseur-1');
    const { roomId } = await queuedWithPolice();
    expect(await command(supervisor, police().queueRoomId, { action: 'export', conversation: roomId }, { baseUrl: hs() })).toMatchObject({ ok: true });
    const state = await matrixRequest<ServedEvent[]>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(police().supervisorsRoomId)}/state`, { token: botToken(), baseUrl: hs() });
    const record = state.body.find((event) => event.type === 'fr.espace-mineurs.export' && event.content.conversation === roomId);
    expect(record).toBeDefined();
    const files = record!.content.files as Array<{ eventId: string; mxc: string }>;
    expect(files).toHaveLength(2);
    // The supervisor can download both while the export is available (if the sweep has not already run).
    const removed = () => supervisorsState<{ removedAt?: number }>('fr.espace-mineurs.export', record!.state_key!);
    if ((await removed())?.removedAt === undefined) for (const file of files) expect([200, 404]).toContain(await mediaStatus(file.mxc, supervisor.accessToken));

    await waitUntil('the export taken back', async () => ((await removed())?.removedAt !== undefined ? true : undefined), 20_000);
    for (const file of files) {
      expect(await mediaStatus(file.mxc, supervisor.accessToken)).toBe(404);
      const message = await matrixRequest<ServedEvent>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(police().supervisorsRoomId)}/event/${encodeURIComponent(file.eventId)}`, { token: supervisor.accessToken, baseUrl: hs() });
      expect(message.body.unsigned?.redacted_because).toBeDefined();
      expect(message.body.content).toEqual({});
    }
    await waitUntil('the removal audited', async () => ((await auditActions(roomId)).includes('export_removed') ? true : undefined));
  });

  it('close and cool down still covers the address the conversation was opened from after a bot restart', async () => {
    const agent = await login('pn-agent-1');
    const address = '10.252.1.7';
    const { roomId } = await queuedWithPolice(address);
    await bot.stop();
    bot = await startTestBot({ homeserverUrl: stack.homeserver.baseUrl, stateDir: stack.dataDir, overrides: BOT_OVERRIDES });
    const queue = police().queueRoomId;
    expect(await command(agent, queue, { action: 'claim', conversation: roomId }, { baseUrl: hs() })).toMatchObject({ ok: true });
    expect(await command(agent, queue, { action: 'close', conversation: roomId, outcome: 'none', coolDownMinutes: 30 }, { baseUrl: hs() })).toMatchObject({ ok: true });
    const sameAddress = await api<{ error: { code: string } }>('POST', '/api/conversations', { token: (await guest()).accessToken, botUrl: bot.url, ip: address });
    expect(sameAddress.status).toBe(429);
    expect(sameAddress.body.error.code).toBe('COOLING_DOWN');
    // The file holds hashes only, never the address itself.
    const file = readFileSync(joinPath(stack.dataDir, 'open-addresses.json'), 'utf8');
    expect(file).not.toContain(address);
    expect(statSync(joinPath(stack.dataDir, 'open-addresses.json')).mode & 0o777).toBe(0o600);
  });

  it('the bot mirrors its audit chain to JSON lines in its state dir; `audit verify` checks both and names a modified line', async () => {
    const file = joinPath(stack.dataDir, 'audit', 'police.jsonl');
    // Entries written by the tests above may still be on their way from the outbox: wait until none is.
    await waitUntil('the audit backlog sent', async () => ((await (await fetch(`${bot.url}/metrics`)).text()).includes('espace_audit_backlog{force="police"} 0') ? true : undefined));
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const verify = async () => {
      const out: string[] = [];
      const code = await run(['audit', 'verify', '--force', 'police'], { ESPACE_HOMESERVER_URL: hs(), ESPACE_STATE_DIR: stack.dataDir }, { out: (line) => out.push(line), err: (line) => out.push(line) });
      return { code, out: out.join('\n') };
    };
    const clean = await verify();
    expect(clean.code, clean.out).toBe(0);
    expect(clean.out).toContain('police/bot (copie');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const index = lines.findIndex((line) => line.includes('"action":"close"'));
    expect(index).toBeGreaterThanOrEqual(0);
    lines[index] = lines[index]!.replace('"action":"close"', '"action":"claim"');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const tampered = await verify();
    expect(tampered.code).toBe(3);
  });
});
