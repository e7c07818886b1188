import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../../bot/src/admin/cli.ts';
import { ADMIN_AUDIT_EVENT } from '../../../bot/src/audit/admin-audit.ts';
import { EventType, userStateKey } from '@espace-mineurs/protocol';
import { ROOT } from '../../support/bot-process.ts';
import { matrixRequest, registerGuest, stack, whoamiStatus } from './support.ts';

/** The admin chain's local copy for this file's commands (the real default is <state-dir>/audit). */
const mirrorDir = mkdtempSync(join(tmpdir(), 'staff-mirror-'));
afterAll(() => rmSync(mirrorDir, { recursive: true, force: true }));

interface Ran {
  code: number;
  out: string;
  err: string;
}

async function cli(argv: string[], stdin?: string): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (line: string) => out.push(line),
    err: (line: string) => err.push(line),
    ...(stdin !== undefined ? { readStdin: async () => stdin } : {}),
  };
  const code = await run(
    [...argv, '--mirror-dir', mirrorDir],
    { ESPACE_HOMESERVER_URL: stack().baseUrl, ESPACE_STATE_DIR: stack().dataDir },
    io,
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function login(localpart: string, password: string): Promise<{ status: number; token?: string }> {
  const response = await matrixRequest<{ access_token?: string }>('POST', '/_matrix/client/v3/login', {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password },
  });
  return { status: response.status, ...(response.body.access_token ? { token: response.body.access_token } : {}) };
}

async function newAgent(): Promise<{ localpart: string; userId: string; password: string }> {
  const created = await cli(['agent', 'create', '--force', 'gendarmerie', '--pseudonym', 'Noa']);
  expect(created.code, created.err).toBe(0);
  // An opaque, random account name: nothing of the force, the role or the person.
  const localpart = /identifiant de connexion : (\S+)/.exec(created.out)![1]!;
  expect(localpart).toMatch(/^[a-z][a-z0-9]{9}$/);
  expect(created.out).toContain(`@${localpart}:${stack().serverName}`);
  return {
    localpart,
    userId: `@${localpart}:${stack().serverName}`,
    password: /mot de passe initial[^:]*: (\S+)/.exec(created.out)![1]!,
  };
}

/** The admin chain entries of the gendarmerie audit room, newest first. */
async function adminAuditEntries(): Promise<Array<{ action: string; details?: { user?: string } }>> {
  const room = stack().forces.gendarmerie.auditRoomId;
  const page = await matrixRequest<{
    chunk: Array<{ type: string; content: { action: string; details?: { user?: string } } }>;
  }>(
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=50&filter=${encodeURIComponent(JSON.stringify({ types: [ADMIN_AUDIT_EVENT] }))}`,
    { token: stack().bot.accessToken },
  );
  return page.body.chunk.map((event) => event.content);
}

describe('admin command line: password reset and re-enable of staff (real Synapse)', () => {
  it('resets a password to a new random one, printed once, and logs every session out', async () => {
    const agent = await newAgent();
    const session = await login(agent.localpart, agent.password);
    expect(session.status).toBe(200);

    const reset = await cli(['agent', 'reset-password', agent.userId]);
    expect(reset.code, reset.err).toBe(0);
    const password = /nouveau mot de passe \(affiché une seule fois\) : (\S+)/.exec(reset.out)?.[1];
    expect(password, reset.out).toBeDefined();
    expect(password!.length).toBeGreaterThanOrEqual(20);
    expect(reset.out.split(password!).length - 1, 'printed once').toBe(1);
    expect(reset.err).not.toContain(password!);

    expect((await whoamiStatus(session.token!)).status).toBe(401);
    expect((await login(agent.localpart, agent.password)).status).toBe(403);
    expect((await login(agent.localpart, password!)).status).toBe(200);

    const entries = await adminAuditEntries();
    expect(entries[0]).toMatchObject({ action: 'staff_password_reset', details: { user: agent.userId } });
    expect(JSON.stringify(entries)).not.toContain(password!);
  });

  it('takes the new password from standard input, and never prints it', async () => {
    const agent = await newAgent();
    const chosen = `Choisi-par-l-admin-${Date.now()}`;
    const reset = await cli(['agent', 'reset-password', agent.userId, '--password-stdin'], `${chosen}\n`);
    expect(reset.code, reset.err).toBe(0);
    expect(`${reset.out}${reset.err}`).not.toContain(chosen);
    expect((await login(agent.localpart, chosen)).status).toBe(200);

    expect(await cli(['agent', 'reset-password', agent.userId, '--password-stdin'], 'court\n')).toMatchObject({
      code: 2,
      err: expect.stringContaining('au moins 12'),
    });
    expect(
      await cli(['agent', 'reset-password', agent.userId, '--password-stdin'], 'une-ligne-assez-longue\nune-autre\n'),
    ).toMatchObject({ code: 2 });
    expect((await login(agent.localpart, chosen)).status).toBe(200);

    // As a separate process, the password piped in as an operator would.
    const piped = `Par-un-tube-${Date.now()}`;
    const child = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'node'),
      [
        join(ROOT, 'bot', 'src', 'admin', 'cli.ts'),
        'agent',
        'reset-password',
        agent.userId,
        '--password-stdin',
        '--mirror-dir',
        mirrorDir,
      ],
      {
        env: { ...process.env, ESPACE_HOMESERVER_URL: stack().baseUrl, ESPACE_STATE_DIR: stack().dataDir },
        input: `${piped}\n`,
        encoding: 'utf8',
      },
    );
    expect(child.status, child.stderr).toBe(0);
    expect(`${child.stdout}${child.stderr}`).not.toContain(piped);
    expect((await login(agent.localpart, piped)).status).toBe(200);
  });

  it('refuses accounts that are not staff: a guest, the bot itself', async () => {
    const guest = await registerGuest();
    expect(await cli(['agent', 'reset-password', guest.userId])).toMatchObject({
      code: 1,
      err: expect.stringContaining('NOT_STAFF'),
    });
    expect(await cli(['agent', 'reset-password', stack().bot.userId])).toMatchObject({
      code: 1,
      err: expect.stringContaining('NOT_STAFF'),
    });
    expect(await cli(['agent', 'enable', guest.userId])).toMatchObject({
      code: 1,
      err: expect.stringContaining('NOT_STAFF'),
    });
    expect(await cli(['agent', 'reset-password'])).toMatchObject({ code: 2 });
    expect((await whoamiStatus(guest.accessToken)).status).toBe(200);
  });

  it('re-enables a disabled agent: unlocked, active again, audited; enabling twice changes nothing', async () => {
    const agent = await newAgent();
    expect((await cli(['agent', 'disable', agent.userId])).code).toBe(0);
    expect((await login(agent.localpart, agent.password)).status).not.toBe(200);
    const space = stack().forces.gendarmerie.spaceId;
    const staffState = async () =>
      (
        await matrixRequest<{ active: boolean }>(
          'GET',
          `/_matrix/client/v3/rooms/${encodeURIComponent(space)}/state/${EventType.Staff}/${encodeURIComponent(userStateKey(agent.userId))}`,
          { token: stack().bot.accessToken },
        )
      ).body;
    expect(await staffState()).toMatchObject({ active: false });

    const enabled = await cli(['agent', 'enable', agent.userId]);
    expect(enabled.code, enabled.err).toBe(0);
    expect(enabled.out).toContain('réactivé');
    expect(await staffState()).toMatchObject({ active: true, force: 'gendarmerie', pseudonym: 'Noa' });
    const session = await login(agent.localpart, agent.password);
    expect(session.status).toBe(200);
    expect((await whoamiStatus(session.token!)).status).toBe(200);
    expect((await adminAuditEntries())[0]).toMatchObject({ action: 'staff_enable', details: { user: agent.userId } });

    expect(await cli(['agent', 'enable', agent.userId])).toMatchObject({
      code: 0,
      out: expect.stringContaining('déjà actif'),
    });
    expect((await cli(['agent', 'supervisor', agent.userId])).code).toBe(0);
  });
});
