import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../bot/src/admin/cli.ts';
import { spawnBot } from '../support/bot-process.ts';
import { call, join as joinRoom, waitFor, type ServerSession } from './support.ts';
import {
  botSession,
  command,
  entryOf,
  known,
  onServer,
  openAndTriage,
  startDeployment,
  type RunningDeployment,
} from './bot-support.ts';

/**
 * Issue 14, the administration command line (`espace-admin`, bot/src/admin/cli.ts) in the federated topology,
 * against three Synapses and the real bot. It finds federation.json in the bot's state folder and acts through the
 * bot's account on each server: a police agent it creates exists on the police server only, can log in there and
 * go on duty; what the force's bot account wrote (staff, entries, holds, audit) is read as the bot's; a deletion
 * it makes reaches the public and the police server; and its own audit entries, written in the police audit
 * room by the police account, verify.
 */
let d: RunningDeployment;
const mirrorDir = mkdtempSync(join(tmpdir(), 'fed-cli-mirror-'));

beforeAll(async () => {
  d = await startDeployment('admin-cli');
}, 240_000);

afterAll(async () => {
  await d?.stop();
  rmSync(mirrorDir, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(
    [...argv, '--mirror-dir', mirrorDir],
    { ESPACE_HOMESERVER_URL: d.result.servers.public.baseUrl, ESPACE_STATE_DIR: d.stateDir },
    { out: (line) => out.push(line), err: (line) => err.push(line) },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function login(baseUrl: string, localpart: string, password: string) {
  return call<{ user_id: string; access_token: string }>(baseUrl, 'POST', '/_matrix/client/v3/login', {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password },
  });
}

describe('espace-admin in the federated topology', () => {
  let agent: ServerSession;

  it('refuses a homeserver that is not the federation’s public server, saying which one is', async () => {
    const ran = await run(
      ['conversations'],
      { ESPACE_HOMESERVER_URL: d.result.servers.police.baseUrl, ESPACE_STATE_DIR: d.stateDir },
      { out: () => {}, err: () => {} },
    );
    expect(ran).toBe(1);
  });

  it('creates a police agent on the police server, who logs in there and goes on duty', async () => {
    const police = d.result.servers.police;
    const created = await cli('agent', 'create', '--force', 'police', '--pseudonym', 'Camille');
    expect(created.code, created.err).toBe(0);
    const userId = /^(@\S+)/.exec(created.out)?.[1];
    const localpart = /identifiant de connexion : (\S+)/.exec(created.out)?.[1];
    const password = /mot de passe initial \(affiché une seule fois\) : (\S+)/.exec(created.out)?.[1];
    if (!userId || !localpart || !password) throw new Error(`unexpected output: ${created.out}`);
    expect(onServer(userId, police.serverName)).toBe(true);
    // Nowhere else: the public server does not know the account.
    expect((await login(d.result.servers.public.baseUrl, localpart, password)).status).toBe(403);
    const session = await login(police.baseUrl, localpart, password);
    expect(session.status).toBe(200);
    agent = { baseUrl: police.baseUrl, userId: session.body.user_id, accessToken: session.body.access_token };
    // The bot, running, takes them as staff of the police (the staff record is in the police space, on the police
    // server, written by the police account).
    const queue = d.result.forces.police.queueRoomId;
    await joinRoom(agent, queue, police.serverName);
    await waitFor('the new agent on duty', async () => {
      const answer = await command(agent, queue, { action: 'duty', onDuty: true, capacity: 3 });
      return answer.ok === true ? answer : undefined;
    });
    const promoted = await cli('agent', 'supervisor', userId);
    expect(promoted.code, promoted.err).toBe(0);
  }, 120_000);

  it('lists, holds and deletes a police conversation on every server that held it', async () => {
    const queue = d.result.forces.police.queueRoomId;
    const { roomId } = await openAndTriage(d, '92100', 'police');
    expect(await command(agent, queue, { action: 'claim', conversation: roomId })).toMatchObject({ ok: true });
    await joinRoom(agent, roomId, d.result.servers.public.serverName);
    expect(await command(agent, queue, { action: 'close', conversation: roomId, outcome: 'none' })).toMatchObject({
      ok: true,
    });
    await waitFor('closed', async () => ((await entryOf(d, 'police', roomId))?.state === 'closed' ? true : undefined));

    // The entry, written in the police queue by the police account, is read as the bot's.
    const listed = await cli('conversations', '--json');
    expect(listed.code, listed.err).toBe(0);
    const rows = JSON.parse(listed.out) as Array<{ roomId: string; force: string; state: string; legalHold: boolean }>;
    expect(rows.find((row) => row.roomId === roomId)).toMatchObject({ force: 'police', state: 'closed' });

    // A hold put by a police supervisor keeps the room: the hold, on the police server, is read back.
    const hold = await cli('hold', 'put', roomId, '--supervisor', agent.userId, '--reason', 'Réquisition judiciaire');
    expect(hold.code, hold.err).toBe(0);
    const heldRows = JSON.parse((await cli('conversations', '--json')).out) as typeof rows;
    expect(heldRows.find((row) => row.roomId === roomId)?.legalHold).toBe(true);
    const refused = await cli('delete', roomId, '--yes');
    expect(refused.code).toBe(1);
    expect(await known(d, 'public', roomId)).toBe(true);
    expect((await cli('hold', 'lift', roomId, '--supervisor', agent.userId)).code).toBe(0);

    const deleted = await cli('delete', roomId, '--yes');
    expect(deleted.code, deleted.err).toBe(0);
    expect(deleted.out).toContain('supprimée');
    expect(await known(d, 'public', roomId)).toBe(false);
    expect(await known(d, 'police', roomId)).toBe(false);
    expect((await cli('conversations', '--json')).out).toContain('"state": "deleted"');
  }, 180_000);

  it('verifies the police audit chains, its own entries included (written by the police account)', async () => {
    const verified = await cli('audit', 'verify', '--force', 'police');
    expect(verified.err).toBe('');
    expect(verified.code, verified.out).toBe(0);
    expect(verified.out).toMatch(/police\/admin \(salon\)/);
    expect(verified.out).toMatch(/police\/admin \(copie/);
  }, 60_000);

  it('a police server restored from before a deletion: the bot’s journal deletes its copy again', async () => {
    const queue = d.result.forces.police.queueRoomId;
    const police = d.topology.servers.police;
    const journal = join(mirrorDir, 'deletions.jsonl');
    const { roomId } = await openAndTriage(d, '92100', 'police');
    expect(await command(agent, queue, { action: 'claim', conversation: roomId })).toMatchObject({ ok: true });
    await joinRoom(agent, roomId, d.result.servers.public.serverName);
    expect(await command(agent, queue, { action: 'close', conversation: roomId, outcome: 'none' })).toMatchObject({
      ok: true,
    });
    await waitFor('closed', async () => ((await entryOf(d, 'police', roomId))?.state === 'closed' ? true : undefined));
    // Synapse's background updates of a new database done first: one of them lists every room in a table that
    // blocks purging it until another has processed it (Synapse issue 19822), which a backup would carry along.
    await waitFor(
      'the police server’s background updates done',
      async () => {
        const status = await call<{ current_updates?: Record<string, unknown> }>(
          police.baseUrl,
          'GET',
          '/_synapse/admin/v1/background_updates/status',
          { token: botSession(d, 'police').accessToken },
        );
        return status.status === 200 && Object.keys(status.body.current_updates ?? {}).length === 0 ? true : undefined;
      },
      180_000,
    );
    // The police server's backup, taken while it holds its copy of the young person's room.
    const backup = mkdtempSync(join(tmpdir(), 'fed-police-backup-'));
    await police.stop();
    cpSync(police.dataDir, backup, { recursive: true });
    await police.start();

    const deleted = await cli('delete', roomId, '--yes', '--deletion-journal', journal);
    expect(deleted.code, deleted.err).toBe(0);
    expect(await known(d, 'police', roomId)).toBe(false);

    // Restored: the police server knows the room again.
    await police.stop();
    rmSync(police.dataDir, { recursive: true, force: true });
    cpSync(backup, police.dataDir, { recursive: true });
    rmSync(backup, { recursive: true, force: true });
    await police.start();
    expect(await known(d, 'police', roomId)).toBe(true);

    // The bot, started with the journal, deletes it again there, though the room's ID names the public server.
    await d.bot.stop();
    d.bot = await spawnBot({
      homeserverUrl: d.result.servers.public.baseUrl,
      stateDir: d.stateDir,
      env: { ESPACE_DELETION_JOURNAL: journal },
    });
    await waitFor('the restored copy deleted again', async () =>
      (await known(d, 'police', roomId)) ? undefined : true,
    );
    expect(await known(d, 'public', roomId)).toBe(false);
  }, 400_000);

  it('disables the agent: locked on the police server', async () => {
    expect((await cli('agent', 'disable', agent.userId)).code).toBe(0);
    const whoami = await call(agent.baseUrl, 'GET', '/_matrix/client/v3/account/whoami', { token: agent.accessToken });
    expect(whoami.status).toBe(401);
  }, 60_000);
});
