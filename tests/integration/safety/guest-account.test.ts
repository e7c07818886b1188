import { describe, expect, it } from 'vitest';
import {
  deactivateGuest,
  endGuestAccount,
  guestAccountState,
  lockGuest,
} from '../../../bot/src/closing/guest-account.ts';
import { loginDemo } from '../../support/matrix.ts';
import {
  botHomeserver,
  createConversationLikeRoom,
  matrixRequest,
  registerGuest,
  stack,
  whoamiStatus,
} from './support.ts';
import { say } from '../../support/conversation.ts';

describe('ending a guest account (real Synapse)', () => {
  it('a locked guest can no longer use its token', async () => {
    const hs = botHomeserver();
    const guest = await registerGuest();
    const { roomId } = await createConversationLikeRoom(hs, guest, ['bonjour']);
    expect((await whoamiStatus(guest.accessToken)).status).toBe(200);
    await lockGuest(hs, guest.userId);
    expect(await whoamiStatus(guest.accessToken)).toEqual({ status: 401, errcode: 'M_USER_LOCKED' });
    await expect(say(guest, roomId, 'encore là ?')).rejects.toThrow(/401/);
    expect(await guestAccountState(hs, guest.userId)).toEqual({ exists: true, locked: true, deactivated: false });
    // Again: nothing changes, nothing fails.
    await lockGuest(hs, guest.userId);
  });

  it('a deactivated guest neither; the whole ending is idempotent', async () => {
    const hs = botHomeserver();
    const guest = await registerGuest();
    await createConversationLikeRoom(hs, guest, ['bonjour']);
    const state = await endGuestAccount(hs, guest.userId);
    expect(state).toEqual({ exists: true, locked: true, deactivated: true });
    expect(await whoamiStatus(guest.accessToken)).toEqual({ status: 401, errcode: 'M_USER_LOCKED' });
    expect(await endGuestAccount(hs, guest.userId)).toEqual(state);

    const other = await registerGuest();
    await deactivateGuest(hs, other.userId);
    expect(await guestAccountState(hs, other.userId)).toEqual({ exists: true, locked: true, deactivated: true });
    expect((await whoamiStatus(other.accessToken)).status).toBe(401);
  });

  it('why the lock comes first: Synapse deactivation alone leaves a guest token working', async () => {
    // A guest token is a macaroon that Synapse never stores; deactivation deletes stored tokens only.
    const guest = await registerGuest();
    const raw = await matrixRequest('POST', `/_synapse/admin/v1/deactivate/${encodeURIComponent(guest.userId)}`, {
      token: stack().bot.accessToken,
      body: { erase: true },
    });
    expect(raw.status).toBe(200);
    expect((await whoamiStatus(guest.accessToken)).status).toBe(200);
    // The lock still works on a deactivated guest, which is what endGuestAccount relies on after a crash.
    await lockGuest(botHomeserver(), guest.userId);
    expect(await whoamiStatus(guest.accessToken)).toEqual({ status: 401, errcode: 'M_USER_LOCKED' });
  });

  it('refuses to lock or deactivate anyone who is not a guest', async () => {
    const hs = botHomeserver();
    const agent = await loginDemo('gn-agent-2');
    await expect(lockGuest(hs, agent.userId)).rejects.toMatchObject({ code: 'NOT_A_GUEST' });
    await expect(endGuestAccount(hs, hs.userId)).rejects.toMatchObject({ code: 'NOT_A_GUEST' });
    expect((await whoamiStatus(agent.accessToken)).status).toBe(200);
  });
});
