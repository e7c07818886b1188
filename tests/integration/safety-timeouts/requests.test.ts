/**
 * Timed safety steps through the running bot: anonymity-lifting requests that expire or are withdrawn, close and
 * cool down (also across a restart), and the audit chain's mirror checked by `audit verify`.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../../bot/src/admin/cli.ts';
import { matrixRequest } from '../../support/matrix.ts';
import { api, command, timeline, waitUntil } from '../../support/conversation.ts';
import {
  auditActions,
  bot,
  guest,
  hs,
  login,
  police,
  queuedWithPolice,
  restartBot,
  stack,
  supervisorsState,
  useSafetyStack,
} from './stack.ts';

useSafetyStack();

describe('anonymity-lifting requests, cool-downs and the audit mirror through the running bot', () => {
  it('a request to lift anonymity nobody decides expires, audited and announced to supervisors', async () => {
    const agent = await login('pn-agent-1');
    const supervisor = await login('pn-superviseur-1');
    const { roomId } = await queuedWithPolice();
    const queue = police().queueRoomId;
    expect(
      await command(
        agent,
        queue,
        { action: 'disclosure_request', conversation: roomId, reason: 'Menace de passage à l’acte ce soir.' },
        { baseUrl: hs() },
      ),
    ).toMatchObject({ ok: true });
    await waitUntil(
      'the expiry audited',
      async () => ((await auditActions(roomId)).includes('disclosure_expire') ? true : undefined),
      20_000,
    );
    // The audit comes first, then the request's state, then the notice: wait for the last one.
    const events = await waitUntil('the expiry notice in the supervisors room', async () => {
      const found = await timeline(supervisor, police().supervisorsRoomId, 100, hs());
      return found.some((event) => String(event.content.body ?? '').includes('expirée sans décision'))
        ? found
        : undefined;
    });
    const request = events.find(
      (event) => event.type === 'fr.espace-mineurs.disclosure' && event.content.conversation === roomId,
    );
    const id = String(request?.state_key);
    const state = await matrixRequest<{ status: string }>(
      'GET',
      `/_matrix/client/v3/rooms/${encodeURIComponent(police().supervisorsRoomId)}/state/fr.espace-mineurs.disclosure/${id}`,
      { token: supervisor.accessToken, baseUrl: hs() },
    );
    expect(state.body.status).toBe('expired');
    expect(
      await command(
        supervisor,
        queue,
        { action: 'disclosure_decision', conversation: roomId, disclosure: id, decision: 'approve' },
        { baseUrl: hs() },
      ),
    ).toMatchObject({ ok: false, code: 'EXPIRED' });
  });

  it('close and cool down: that guest and that address are refused with 429 and a kind French message; others are not', async () => {
    const agent = await login('pn-agent-1');
    const address = '10.252.0.7';
    const { young, roomId } = await queuedWithPolice(address);
    const queue = police().queueRoomId;
    expect(await command(agent, queue, { action: 'duty', onDuty: true, capacity: 5 }, { baseUrl: hs() })).toMatchObject(
      { ok: true },
    );
    expect(await command(agent, queue, { action: 'claim', conversation: roomId }, { baseUrl: hs() })).toMatchObject({
      ok: true,
    });
    expect(
      await command(
        agent,
        queue,
        { action: 'close', conversation: roomId, outcome: 'none', coolDownMinutes: 30 },
        { baseUrl: hs() },
      ),
    ).toMatchObject({ ok: true });

    const again = await api<{ error: { code: string; message: string } }>('POST', '/api/conversations', {
      token: young.accessToken,
      botUrl: bot().url,
      ip: '10.252.0.8',
    });
    expect(again.status).toBe(429);
    expect(again.body.error.code).toBe('COOLING_DOWN');
    expect(again.body.error.message).toMatch(/17 ou le 112/);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(25 * 60);
    const sameAddress = await api<{ error: { code: string } }>('POST', '/api/conversations', {
      token: (await guest()).accessToken,
      botUrl: bot().url,
      ip: address,
    });
    expect(sameAddress.status).toBe(429);
    // Anyone else: a first contact is never blocked.
    expect(
      (
        await api('POST', '/api/conversations', {
          token: (await guest()).accessToken,
          botUrl: bot().url,
          ip: '10.252.0.9',
        })
      ).status,
    ).toBe(201);
    await waitUntil('the cool-down audited', async () =>
      (await auditActions(roomId)).includes('cool_down') ? true : undefined,
    );
  });

  it('the requester can withdraw a pending request to lift anonymity; nobody else can, and it can no longer be approved', async () => {
    const agent = await login('pn-agent-2');
    const other = await login('pn-agent-1');
    const supervisor = await login('pn-superviseur-1');
    const { roomId } = await queuedWithPolice();
    const queue = police().queueRoomId;
    const options = { baseUrl: hs() };
    const requested = await command(
      agent,
      queue,
      { action: 'disclosure_request', conversation: roomId, reason: 'Erreur de manipulation, pas de danger.' },
      options,
    );
    const id = String(requested.ref);
    expect(
      await command(other, queue, { action: 'disclosure_withdraw', conversation: roomId, disclosure: id }, options),
    ).toMatchObject({ ok: false, code: 'NOT_REQUESTER' });
    expect(
      await command(
        agent,
        queue,
        { action: 'disclosure_withdraw', conversation: roomId, disclosure: 'ffffffff' },
        options,
      ),
    ).toMatchObject({ ok: false, code: 'UNKNOWN_DISCLOSURE' });
    expect(
      await command(agent, queue, { action: 'disclosure_withdraw', conversation: roomId, disclosure: id }, options),
    ).toMatchObject({ ok: true });
    expect(await supervisorsState('fr.espace-mineurs.disclosure', id)).toMatchObject({
      status: 'withdrawn',
      decidedBy: agent.userId,
    });
    expect(
      await command(
        supervisor,
        queue,
        { action: 'disclosure_decision', conversation: roomId, disclosure: id, decision: 'approve' },
        options,
      ),
    ).toMatchObject({ ok: false, code: 'ALREADY_DECIDED' });
    await waitUntil('the withdrawal audited', async () =>
      (await auditActions(roomId)).includes('disclosure_withdraw') ? true : undefined,
    );
    const notices = await timeline(supervisor, police().supervisorsRoomId, 50, hs());
    expect(notices.some((event) => String(event.content.body ?? '').includes(`${id} retirée`))).toBe(true);
  });

  it('close and cool down still covers the address the conversation was opened from after a bot restart', async () => {
    const agent = await login('pn-agent-1');
    const address = '10.252.1.7';
    const { roomId } = await queuedWithPolice(address);
    await restartBot();
    const queue = police().queueRoomId;
    expect(await command(agent, queue, { action: 'claim', conversation: roomId }, { baseUrl: hs() })).toMatchObject({
      ok: true,
    });
    expect(
      await command(
        agent,
        queue,
        { action: 'close', conversation: roomId, outcome: 'none', coolDownMinutes: 30 },
        { baseUrl: hs() },
      ),
    ).toMatchObject({ ok: true });
    const sameAddress = await api<{ error: { code: string } }>('POST', '/api/conversations', {
      token: (await guest()).accessToken,
      botUrl: bot().url,
      ip: address,
    });
    expect(sameAddress.status).toBe(429);
    expect(sameAddress.body.error.code).toBe('COOLING_DOWN');
    // The file holds hashes only, never the address itself.
    const file = readFileSync(joinPath(stack().dataDir, 'open-addresses.json'), 'utf8');
    expect(file).not.toContain(address);
    expect(statSync(joinPath(stack().dataDir, 'open-addresses.json')).mode & 0o777).toBe(0o600);
  });

  it('the bot mirrors its audit chain to JSON lines in its state dir; `audit verify` checks both and names a modified line', async () => {
    // A conversation of its own, closed, so the chain holds a close whatever else ran before.
    const agent = await login('pn-agent-1');
    const { roomId } = await queuedWithPolice('10.252.2.7');
    const queue = police().queueRoomId;
    expect(
      await command(agent, queue, { action: 'duty', onDuty: true, capacity: 10 }, { baseUrl: hs() }),
    ).toMatchObject({ ok: true });
    expect(await command(agent, queue, { action: 'claim', conversation: roomId }, { baseUrl: hs() })).toMatchObject({
      ok: true,
    });
    expect(
      await command(agent, queue, { action: 'close', conversation: roomId, outcome: 'none' }, { baseUrl: hs() }),
    ).toMatchObject({ ok: true });
    const file = joinPath(stack().dataDir, 'audit', 'police.jsonl');
    // Entries may still be on their way from the outbox: wait until none is.
    await waitUntil('the audit backlog sent', async () =>
      (await (await fetch(`${bot().url}/metrics`)).text()).includes('espace_audit_backlog{force="police"} 0')
        ? true
        : undefined,
    );
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const verify = async () => {
      const out: string[] = [];
      const code = await run(
        ['audit', 'verify', '--force', 'police'],
        { ESPACE_HOMESERVER_URL: hs(), ESPACE_STATE_DIR: stack().dataDir },
        { out: (line) => out.push(line), err: (line) => out.push(line) },
      );
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
