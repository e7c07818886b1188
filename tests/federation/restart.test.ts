import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationServerAcl, SERVER_ACL } from '@espace-mineurs/bot/federation';
import { EventType, type CommandResultContent, type Force } from '@espace-mineurs/protocol';
import { spawnBot } from '../support/bot-process.ts';
import { resultOf } from '../support/conversation.ts';
import { join as joinRoom, send, texts, waitFor, type ServerSession } from './support.ts';
import {
  botSession,
  command,
  demoLogin,
  entryOf,
  onServer,
  openAndTriage,
  present,
  roomState,
  sendCommand,
  startDeployment,
  timeline,
  type RunningDeployment,
} from './bot-support.ts';

/**
 * The real bot killed (SIGKILL) in the middle of a handler whose effects span the servers, then started again on
 * the same state folder (`ESPACE_TEST_CRASH_AT`, bot/src/runtime/fault.ts): a claim committed on the police server
 * before the agent is invited into the young person's room on the public server, and a cold transfer to the
 * gendarmerie killed once the ACL is swapped, the police users removed and the police entry points to the
 * gendarmerie, before the gendarmerie's entry exists; and that transfer killed right after its commit, so the
 * replay, arriving from the police queue, finds the conversation already in the other force; and the move back
 * to the police killed at the same point, when both forces' entries are pointers. Nothing lost, nothing done twice.
 */
let d: RunningDeployment;

beforeAll(async () => {
  d = await startDeployment('restart');
});

afterAll(async () => {
  await d?.stop();
});

async function resultsOf(session: ServerSession, queueRoomId: string, requestId: string) {
  return (await timeline(session, queueRoomId))
    .map(resultOf)
    .filter((result): result is CommandResultContent => result?.requestId === requestId);
}

/** Waits for the bot to kill itself at the crash point it was started with. */
async function diedAtCrashPoint(): Promise<void> {
  await waitFor('the bot to die at its crash point', async () =>
    d.bot.child.exitCode !== null || d.bot.child.signalCode !== null ? true : undefined,
  );
  expect(d.bot.child.signalCode).toBe('SIGKILL');
}

async function restart(env: Record<string, string> = {}): Promise<void> {
  await d.bot.stop();
  d.bot = await spawnBot({ homeserverUrl: d.topology.servers.public.baseUrl, stateDir: d.stateDir, env });
}

/** The bot's messages in the young person's room (public server), first lines. */
/**
 * The bot restarted to die at `crashPoint`, then an agent's cold transfer to the other force sent (the police
 * agent's to the gendarmerie unless `from` says otherwise).
 */
async function transferKilledAt(
  crashPoint: string,
  agent: ServerSession,
  roomId: string,
  from: Force = 'police',
): Promise<string> {
  await restart({ ESPACE_TEST_CRASH_AT: crashPoint });
  const requestId = await sendCommand(agent, d.result.forces[from].queueRoomId, {
    action: 'transfer',
    conversation: roomId,
    to: { force: from === 'police' ? 'gendarmerie' : 'police' },
    mode: 'cold',
  });
  await diedAtCrashPoint();
  return requestId;
}

async function botMessages(guest: ServerSession, roomId: string): Promise<string[]> {
  const publicBot = d.result.servers.public.botUserId;
  return (await timeline(guest, roomId))
    .filter((event) => event.sender === publicBot && event.type === 'm.room.message')
    .map((event) => String(event.content.body).split('\n')[0] ?? '');
}

/** The audit actions recorded for the conversation in a force's audit room, on that force's server. */
async function auditOf(force: Force, roomId: string): Promise<unknown[]> {
  return (await timeline(botSession(d, force), d.result.forces[force].auditRoomId))
    .filter((event) => event.type === EventType.Audit && event.content.conversation === roomId)
    .map((event) => event.content.action);
}

/** The bot's lines in a force's queue room starting with `prefix` (its live log and queue notices). */
async function queueLines(force: Force, prefix: string): Promise<string[]> {
  const bot = d.result.bots[force].userId;
  return (await timeline(botSession(d, force), d.result.forces[force].queueRoomId))
    .filter((event) => event.sender === bot && event.type === 'm.room.message')
    .map((event) => String(event.content.body))
    .filter((body) => body.startsWith(prefix));
}

interface Moving {
  guest: ServerSession;
  roomId: string;
  police: ServerSession;
  policeTicket: number;
  gendarme: ServerSession;
  /** The transfer command the bot died handling. */
  requestId: string;
}

/**
 * After the restart, the replayed cold transfer has finished: the room in the gendarmerie (ACL, entry, police
 * out), a gendarme claims it over federation, and nothing was done twice.
 */
async function finishedInGendarmerie({ guest, roomId, police, policeTicket, gendarme, requestId }: Moving) {
  const servers = d.result.servers;
  const policeQueue = d.result.forces.police.queueRoomId;
  const gendarmerieQueue = d.result.forces.gendarmerie.queueRoomId;
  // The replayed transfer completes the move.
  const results = await waitFor('the transfer answered after the restart', async () => {
    const found = await resultsOf(police, policeQueue, requestId);
    return found.length > 0 ? found : undefined;
  });
  expect(results.map((result) => result.ok)).toEqual([true]);
  const moved = await waitFor('queued with the gendarmerie', async () => {
    const entry = await entryOf(d, 'gendarmerie', roomId);
    return entry?.state === 'queued' ? entry : undefined;
  });
  expect(moved).toMatchObject({ force: 'gendarmerie', previousForce: 'police' });
  expect(moved.assignee).toBeUndefined();
  expect((await entryOf(d, 'police', roomId))?.movedTo).toBe('gendarmerie');
  expect(await roomState(guest, roomId, SERVER_ACL)).toEqual(
    conversationServerAcl(servers.public.serverName, servers.gendarmerie.serverName),
  );
  const members = await present(guest, roomId);
  expect(members.filter((userId) => onServer(userId, servers.police.serverName))).toEqual([]);
  expect((await send(police, roomId, 'encore là ?')).status).not.toBe(200);
  await waitFor('the transfer audited', async () =>
    (await auditOf('gendarmerie', roomId)).includes('transfer') ? true : undefined,
  );

  // A gendarme claims it over federation and talks with the young person.
  expect(await command(gendarme, gendarmerieQueue, { action: 'claim', conversation: roomId })).toMatchObject({
    ok: true,
  });
  await joinRoom(gendarme, roomId, servers.public.serverName);
  expect((await send(gendarme, roomId, 'Gendarmerie, bonjour.')).status).toBe(200);
  await waitFor('the gendarme message on the public server', async () =>
    (await texts(guest, roomId)).includes('Gendarmerie, bonjour.') ? true : undefined,
  );

  // Nothing twice: the young person told of the move once, one queue notice in the gendarmerie, one log line in
  // the police queue, one result, each force's audit with one transfer.
  const fromBot = await botMessages(guest, roomId);
  expect(fromBot.filter((body) => body.startsWith('Ta conversation est confiée à la Gendarmerie'))).toHaveLength(1);
  await waitFor('the gendarme announced to the young person', async () =>
    (await botMessages(guest, roomId)).some((body) => body.includes('de la Gendarmerie nationale, va te répondre'))
      ? true
      : undefined,
  );
  expect(
    (await botMessages(guest, roomId)).filter((body) => body.includes('de la Gendarmerie nationale, va te répondre')),
  ).toHaveLength(1);
  expect(await resultsOf(police, policeQueue, requestId)).toHaveLength(1);
  expect(await queueLines('gendarmerie', `Conversation transférée n°${moved.ticket}`)).toHaveLength(1);
  expect(await queueLines('police', `Conversation n°${policeTicket} transférée`)).toHaveLength(1);
  await waitFor('the transfer audited with the police', async () =>
    (await auditOf('police', roomId)).includes('transfer') ? true : undefined,
  );
  expect(await auditOf('police', roomId)).toEqual(['open_and_queue', 'claim', 'transfer']);
  await waitFor('the claim audited with the gendarmerie', async () =>
    (await auditOf('gendarmerie', roomId)).includes('claim') ? true : undefined,
  );
  expect(await auditOf('gendarmerie', roomId)).toEqual(['transfer', 'claim']);
}

let claimed: { guest: ServerSession; roomId: string; police: ServerSession; ticket: number } | undefined;
let inGendarmerie: { guest: ServerSession; roomId: string; gendarme: ServerSession } | undefined;

describe('the bot killed mid-handler in the federated topology', () => {
  it('a claim committed on the police server, killed before the invite on the public one: one agent, told once', async () => {
    const servers = d.result.servers;
    const policeQueue = d.result.forces.police.queueRoomId;
    const [police, colleague] = await Promise.all([demoLogin(d, 'pn-agent-1'), demoLogin(d, 'pn-agent-2')]);
    for (const agent of [police, colleague])
      expect(await command(agent, policeQueue, { action: 'duty', onDuty: true, capacity: 10 })).toMatchObject({
        ok: true,
      });
    const { guest, roomId } = await openAndTriage(d, '92100', 'police');
    const ticket = (await entryOf(d, 'police', roomId))!.ticket;

    await restart({ ESPACE_TEST_CRASH_AT: 'claim-after-commit' });
    const requestId = await sendCommand(police, policeQueue, { action: 'claim', conversation: roomId });
    await diedAtCrashPoint();
    // Killed where intended: the claim is recorded on the police server, nothing of it reached the public one.
    expect(await entryOf(d, 'police', roomId)).toMatchObject({ state: 'assigned', assignee: police.userId });
    expect(await present(guest, roomId)).not.toContain(police.userId);
    expect(
      (await botMessages(guest, roomId)).filter((body) => body.includes('de la Police nationale, va te répondre')),
    ).toEqual([]);
    await restart();

    // The replayed claim finishes what it had committed: the invite over federation, the young person told.
    const results = await waitFor('the claim answered after the restart', async () => {
      const found = await resultsOf(police, policeQueue, requestId);
      return found.length > 0 ? found : undefined;
    });
    expect(results.map((result) => result.ok)).toEqual([true]);
    await waitFor('the agent invited into the room on the public server', async () =>
      (await present(guest, roomId)).includes(police.userId) ? true : undefined,
    );
    await joinRoom(police, roomId, servers.public.serverName);
    // A colleague's later claim loses: exactly one agent holds the conversation.
    expect(await command(colleague, policeQueue, { action: 'claim', conversation: roomId })).toMatchObject({
      ok: false,
      code: 'ALREADY_CLAIMED',
    });
    expect(await entryOf(d, 'police', roomId)).toMatchObject({ state: 'assigned', assignee: police.userId, ticket });
    const policeInRoom = (await present(guest, roomId)).filter(
      (userId) => onServer(userId, servers.police.serverName) && userId !== d.result.bots.police.userId,
    );
    expect(policeInRoom).toEqual([police.userId]);
    expect((await send(police, roomId, 'Police, bonjour.')).status).toBe(200);
    await waitFor('the agent message on the public server', async () =>
      (await texts(guest, roomId)).includes('Police, bonjour.') ? true : undefined,
    );

    // Told once, invited once, claimed and audited once, one queue notice.
    expect(
      (await botMessages(guest, roomId)).filter((body) => body.includes('de la Police nationale, va te répondre')),
    ).toHaveLength(1);
    const invites = (await timeline(guest, roomId)).filter(
      (event) =>
        event.type === 'm.room.member' && event.state_key === police.userId && event.content.membership === 'invite',
    );
    expect(invites).toHaveLength(1);
    expect(await resultsOf(police, policeQueue, requestId)).toHaveLength(1);
    await waitFor('the claim audited on the police server', async () =>
      (await auditOf('police', roomId)).includes('claim') ? true : undefined,
    );
    expect(await auditOf('police', roomId)).toEqual(['open_and_queue', 'claim']);
    expect(await queueLines('police', `Conversation n°${ticket} prise par`)).toHaveLength(1);
    expect(await queueLines('police', `Nouvelle conversation n°${ticket}`)).toHaveLength(1);
    claimed = { guest, roomId, police, ticket };
  }, 240_000);

  it('a cold transfer to the gendarmerie killed between the ACL swap and the new entry: finished in the gendarmerie', async () => {
    if (!claimed) throw new Error('needs the conversation of the previous test');
    const { guest, roomId, police } = claimed;
    const servers = d.result.servers;
    const gendarmerieQueue = d.result.forces.gendarmerie.queueRoomId;
    const gendarme = await demoLogin(d, 'gn-agent-1');
    expect(await command(gendarme, gendarmerieQueue, { action: 'duty', onDuty: true, capacity: 10 })).toMatchObject({
      ok: true,
    });

    const requestId = await transferKilledAt('move-after-pointer', police, roomId);
    // Killed where intended: the room is already the gendarmerie's (ACL, police out) and the police entry points
    // there, but the gendarmerie's queue has no entry yet.
    expect(await roomState(guest, roomId, SERVER_ACL)).toEqual(
      conversationServerAcl(servers.public.serverName, servers.gendarmerie.serverName),
    );
    expect(await present(guest, roomId)).not.toContain(police.userId);
    expect((await entryOf(d, 'police', roomId))?.movedTo).toBe('gendarmerie');
    expect(await entryOf(d, 'gendarmerie', roomId)).toBeUndefined();
    await restart();

    await finishedInGendarmerie({ guest, roomId, police, policeTicket: claimed.ticket, gendarme, requestId });
    inGendarmerie = { guest, roomId, gendarme };
  }, 240_000);

  it('the move back to the police killed between the two pointers: finished with the police', async () => {
    if (!inGendarmerie) throw new Error('needs the conversation of the previous test');
    const { guest, roomId, gendarme } = inGendarmerie;
    const servers = d.result.servers;
    const policeQueue = d.result.forces.police.queueRoomId;
    const police = await demoLogin(d, 'pn-agent-2');
    expect(await command(police, policeQueue, { action: 'duty', onDuty: true, capacity: 10 })).toMatchObject({
      ok: true,
    });

    const requestId = await transferKilledAt('move-after-pointer', gendarme, roomId, 'gendarmerie');
    // Killed where intended: each force's entry is a pointer to the other one (the police's, from the first move,
    // was about to be overwritten by the live entry). Before the fix the restart found no live entry: the
    // conversation was in no queue and its room went back to triage.
    expect((await entryOf(d, 'gendarmerie', roomId))?.movedTo).toBe('police');
    expect((await entryOf(d, 'police', roomId))?.movedTo).toBe('gendarmerie');
    await restart();

    const results = await waitFor('the transfer answered after the restart', async () => {
      const found = await resultsOf(gendarme, d.result.forces.gendarmerie.queueRoomId, requestId);
      return found.length > 0 ? found : undefined;
    });
    expect(results.map((result) => result.ok)).toEqual([true]);
    const back = await waitFor('queued with the police again', async () => {
      const entry = await entryOf(d, 'police', roomId);
      return entry?.state === 'queued' && !entry.movedTo ? entry : undefined;
    });
    expect(back).toMatchObject({ force: 'police', previousForce: 'gendarmerie' });
    expect((await entryOf(d, 'gendarmerie', roomId))?.movedTo).toBe('police');
    expect(await roomState(guest, roomId, SERVER_ACL)).toEqual(
      conversationServerAcl(servers.public.serverName, servers.police.serverName),
    );
    expect((await present(guest, roomId)).filter((userId) => onServer(userId, servers.gendarmerie.serverName))).toEqual(
      [],
    );

    // A police agent claims it over federation; the young person was told of the move back once.
    expect(await command(police, policeQueue, { action: 'claim', conversation: roomId })).toMatchObject({ ok: true });
    await joinRoom(police, roomId, servers.public.serverName);
    expect((await send(police, roomId, 'Police de nouveau, bonjour.')).status).toBe(200);
    await waitFor('the police message on the public server', async () =>
      (await texts(guest, roomId)).includes('Police de nouveau, bonjour.') ? true : undefined,
    );
    expect(
      (await botMessages(guest, roomId)).filter((body) => body.startsWith('Ta conversation est confiée à la Police')),
    ).toHaveLength(1);
    expect(await resultsOf(gendarme, d.result.forces.gendarmerie.queueRoomId, requestId)).toHaveLength(1);
  }, 240_000);

  it('a cold transfer to the gendarmerie killed after its commit: the replay, from the police queue, finishes it', async () => {
    const servers = d.result.servers;
    const policeQueue = d.result.forces.police.queueRoomId;
    const [police, gendarme] = await Promise.all([demoLogin(d, 'pn-agent-2'), demoLogin(d, 'gn-agent-1')]);
    const { guest, roomId } = await openAndTriage(d, '92100', 'police');
    const policeTicket = (await entryOf(d, 'police', roomId))!.ticket;
    expect(await command(police, policeQueue, { action: 'claim', conversation: roomId })).toMatchObject({ ok: true });
    await joinRoom(police, roomId, servers.public.serverName);

    const requestId = await transferKilledAt('transfer-after-commit', police, roomId);
    // Killed where intended: the gendarmerie's entry is written, the young person not told yet.
    expect(await entryOf(d, 'gendarmerie', roomId)).toMatchObject({ state: 'queued', force: 'gendarmerie' });
    expect((await botMessages(guest, roomId)).filter((body) => body.startsWith('Ta conversation est confiée'))).toEqual(
      [],
    );
    await restart();
    await finishedInGendarmerie({ guest, roomId, police, policeTicket, gendarme, requestId });
  }, 240_000);
});
