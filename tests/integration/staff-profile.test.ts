import { describe, expect, it } from 'vitest';
import { loginDemo, matrixRequest, stack } from '../support/matrix.ts';

const REAL_NAME = 'Jean-Pierre Martin';

describe('staff display names are set by the service only', () => {
  it('an agent cannot change their own display name, in their profile or for one room', async () => {
    const agent = await loginDemo('pn-agent-1');
    const pseudonym = stack().demo.find((account) => account.handle === 'pn-agent-1')!.pseudonym;
    const profile = `/_matrix/client/v3/profile/${encodeURIComponent(agent.userId)}`;
    const changed = await matrixRequest('PUT', `${profile}/displayname`, {
      token: agent.accessToken,
      body: { displayname: REAL_NAME },
    });
    expect(changed.status).toBe(400);
    expect(
      (await matrixRequest<{ displayname?: string }>('GET', `${profile}/displayname`, { token: agent.accessToken }))
        .body.displayname,
    ).toBe(pseudonym);

    // A per-room name, by rewriting their own membership in a room they are in: Synapse drops the name.
    const queue = stack().forces.police.queueRoomId;
    const member = `/_matrix/client/v3/rooms/${encodeURIComponent(queue)}/state/m.room.member/${encodeURIComponent(agent.userId)}`;
    await matrixRequest('PUT', member, {
      token: agent.accessToken,
      body: { membership: 'join', displayname: REAL_NAME },
    });
    const shown = await matrixRequest<{ displayname?: string }>('GET', member, { token: agent.accessToken });
    expect(shown.body.displayname).toBe(pseudonym);
  });
});
