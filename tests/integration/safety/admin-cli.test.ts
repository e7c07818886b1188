import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../../bot/src/admin/cli.ts';
import { ROOT } from '../../support/bot-process.ts';
import { answerTriage, entryOf, openAndJoin, waitForEntry, waitUntil } from '../../support/conversation.ts';
import { matrixRequest, registerGuest, stack } from './support.ts';

interface Ran {
  code: number;
  out: string;
  err: string;
}

/** One local audit copy for every command of this file, as on a real host where the default folder is used. */
const mirrorDir = mkdtempSync(join(tmpdir(), 'cli-mirror-'));
const scratch: string[] = [mirrorDir];

function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const withMirror = argv.length && !argv.includes('--help') ? [...argv, '--mirror-dir', mirrorDir] : argv;
  const code = await run(
    withMirror,
    { ESPACE_HOMESERVER_URL: stack().baseUrl, ESPACE_STATE_DIR: stack().dataDir },
    { out: (line) => out.push(line), err: (line) => err.push(line) },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A real conversation through the running bot: opened, triage skipped, queued, then left by the young person. */
async function abandonedConversation(): Promise<{ roomId: string; force: 'police' | 'gendarmerie' }> {
  const guest = await registerGuest();
  const roomId = await openAndJoin(guest);
  await answerTriage(guest, roomId, ['parler']);
  await waitForEntry(roomId, 'police', 'queued', (entry) => entry.state === 'queued', { timeoutMs: 5000 }).catch(
    () => undefined,
  );
  const force = (await entryOf(roomId, 'police')) ? 'police' : 'gendarmerie';
  await waitForEntry(roomId, force, 'queued', (entry) => entry.state === 'queued');
  await matrixRequest('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`, {
    token: guest.accessToken,
    body: {},
  });
  await waitForEntry(
    roomId,
    force,
    'abandoned',
    (entry) => entry.state === 'abandoned' && entry.closedAt !== undefined,
  );
  return { roomId, force };
}

describe('admin command line (real Synapse, real bot)', () => {
  it('answers usage mistakes with exit code 2 and says what is missing', async () => {
    expect((await cli('--help')).code).toBe(0);
    expect(await cli()).toMatchObject({ code: 2 });
    expect(await cli('frobnicate')).toMatchObject({ code: 2, err: expect.stringContaining('commande inconnue') });
    expect(await cli('agent', 'create', '--force', 'police')).toMatchObject({
      code: 2,
      err: expect.stringContaining('--pseudonym est obligatoire'),
    });
    expect(await cli('agent', 'create', '--force', 'marine', '--pseudonym', 'y')).toMatchObject({
      code: 2,
      err: expect.stringContaining('force inconnue'),
    });
    // The account name is never chosen: young people see it.
    expect(
      await cli('agent', 'create', '--force', 'police', '--localpart', 'jean.martin', '--pseudonym', 'y'),
    ).toMatchObject({ code: 2, err: expect.stringContaining('tiré au hasard') });
    expect(await cli('delete', 'not-a-room')).toMatchObject({ code: 2 });
    expect(await run(['conversations'], {}, { out: () => {}, err: () => {} })).toBe(2);
    expect(
      await run(
        ['conversations'],
        { ESPACE_HOMESERVER_URL: stack().baseUrl, ESPACE_STATE_DIR: scratchDir('empty-') },
        { out: () => {}, err: () => {} },
      ),
    ).toBe(1);
  });

  it('creates an agent, makes them supervisor, disables them', async () => {
    const created = await cli('agent', 'create', '--force', 'police', '--pseudonym', 'Lou');
    expect(created.code, created.err).toBe(0);
    const localpart = /identifiant de connexion : (\S+)/.exec(created.out)![1]!;
    const userId = `@${localpart}:${stack().serverName}`;
    const password = /mot de passe initial[^:]*: (\S+)/.exec(created.out)![1]!;
    const login = await matrixRequest<{ access_token: string }>('POST', '/_matrix/client/v3/login', {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password },
    });
    expect(login.status).toBe(200);

    expect((await cli('agent', 'supervisor', userId)).code).toBe(0);
    const supervisorsRoom = stack().forces.police.supervisorsRoomId;
    const member = await matrixRequest<{ membership: string }>(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(supervisorsRoom)}/state/m.room.member/${encodeURIComponent(userId)}`,
      { token: stack().bot.accessToken },
    );
    expect(member.body.membership).toBe('join');

    expect((await cli('agent', 'disable', userId)).code).toBe(0);
    expect(
      (await matrixRequest('GET', '/_matrix/client/v3/account/whoami', { token: login.body.access_token })).status,
    ).toBe(401);
    expect(await cli('agent', 'supervisor', userId)).toMatchObject({
      code: 1,
      err: expect.stringContaining('DISABLED'),
    });
  });

  it('lists, holds, exports, deletes and sweeps real conversations; verifies the audit chains, and names a tampered mirror line', async () => {
    const held = await abandonedConversation();
    const swept = await abandonedConversation();
    const supervisor = stack().demo.find(
      (account) => account.force === held.force && account.role === 'supervisor',
    )!.userId;
    const otherSupervisor = stack().demo.find(
      (account) => account.force !== held.force && account.role === 'supervisor',
    )!.userId;
    const common: string[] = [];

    const listed = await cli('conversations', '--state', 'abandoned', '--json');
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.out) as Array<{ roomId: string; state: string }>;
    expect(rows.map((row) => row.roomId)).toEqual(expect.arrayContaining([held.roomId, swept.roomId]));
    expect(listed.out).not.toMatch(/triage|postalCode/);

    expect(
      await cli('hold', 'put', held.roomId, '--supervisor', otherSupervisor, '--reason', 'Réquisition', ...common),
    ).toMatchObject({ code: 1, err: expect.stringContaining('WRONG_FORCE') });
    expect(
      (
        await cli(
          'hold',
          'put',
          held.roomId,
          '--supervisor',
          supervisor,
          '--reason',
          'Réquisition du parquet',
          ...common,
        )
      ).code,
    ).toBe(0);
    expect(await cli('delete', held.roomId, ...common)).toMatchObject({
      code: 2,
      err: expect.stringContaining('--yes'),
    });
    expect(await cli('delete', held.roomId, '--yes', ...common)).toMatchObject({
      code: 1,
      err: expect.stringContaining('LEGAL_HOLD'),
    });

    const out = scratchDir('cli-export-');
    expect(await cli('export', held.roomId, '--by', otherSupervisor, '--out', out, ...common)).toMatchObject({
      code: 1,
      err: expect.stringContaining('NOT_SUPERVISOR'),
    });
    const exported = await cli('export', held.roomId, '--by', supervisor, '--out', out, '--verify-evidence', ...common);
    expect(exported.code, exported.err).toBe(0);
    const [jsonFile, htmlFile] = exported.out.split('\n');
    expect(statSync(jsonFile!).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(jsonFile!, 'utf8')).roomId).toBe(held.roomId);
    expect(readFileSync(htmlFile!, 'utf8')).toContain('<html lang="fr">');

    expect((await cli('hold', 'lift', held.roomId, '--supervisor', supervisor, ...common)).code).toBe(0);
    const deleted = await cli('delete', held.roomId, '--yes', ...common);
    expect(deleted.code, deleted.err).toBe(0);
    expect(
      (
        await matrixRequest('GET', `/_synapse/admin/v1/rooms/${encodeURIComponent(held.roomId)}`, {
          token: stack().bot.accessToken,
        })
      ).status,
    ).toBe(404);

    const retention = await cli('retention', 'set', swept.roomId, '1s', ...common);
    expect(retention.code, retention.err).toBe(0);
    // Swept again until its one-second period has ended and the sweep deletes it (or a sweep fails).
    const sweep = await waitUntil(
      'a sweep that deletes the room whose 1 s retention period ended',
      async () => {
        const run = await cli('sweep', '--default-period', '365d', ...common);
        return run.code !== 0 || /supprimées : [1-9]/.test(run.out) ? run : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300 },
    );
    expect(sweep.code, sweep.err).toBe(0);
    expect(sweep.out).toMatch(/supprimées : [1-9]/);
    expect(
      (
        await matrixRequest('GET', `/_synapse/admin/v1/rooms/${encodeURIComponent(swept.roomId)}`, {
          token: stack().bot.accessToken,
        })
      ).status,
    ).toBe(404);
    const after = JSON.parse((await cli('conversations', '--json')).out) as Array<{ roomId: string; state: string }>;
    expect(after.filter((row) => [held.roomId, swept.roomId].includes(row.roomId)).map((row) => row.state)).toEqual([
      'deleted',
      'deleted',
    ]);

    // Both chains of both audit rooms verify; the admin chain's mirror was written by the commands above.
    const verified = await cli('audit', 'verify', ...common);
    expect(verified.code, verified.out).toBe(0);
    const adminMirror = join(mirrorDir, `${held.force}-admin.jsonl`);
    expect(existsSync(adminMirror)).toBe(true);
    expect((await cli('audit', 'mirror', ...common)).code).toBe(0);
    expect(existsSync(join(mirrorDir, 'police.jsonl'))).toBe(true);

    const lines = readFileSync(adminMirror, 'utf8').trimEnd().split('\n');
    const index = lines.findIndex((line) => line.includes('"legal_hold"'));
    lines[index] = lines[index]!.replace('"legal_hold"', '"legal_hold_lift"');
    writeFileSync(adminMirror, lines.join('\n') + '\n');
    const tampered = await cli('audit', 'verify', '--force', held.force, ...common);
    expect(tampered.code).toBe(3);
    expect(tampered.out).toContain(`modified à l'entrée n°${index}`);

    // As a separate process, with the exit code a cron job sees.
    const child = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'node'),
      [join(ROOT, 'bot', 'src', 'admin', 'cli.ts'), 'audit', 'verify', '--mirror-dir', scratchDir('none-')],
      {
        env: { ...process.env, ESPACE_HOMESERVER_URL: stack().baseUrl, ESPACE_STATE_DIR: stack().dataDir },
        encoding: 'utf8',
      },
    );
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toContain('police/bot (salon) : Chaîne intègre');
  });
});
