import { describe, expect, it } from 'vitest';
import type { Context } from '../context.ts';
import { coolingDown, type CoolDown } from './cool-down.ts';

function contextWith(coolDowns: CoolDown[]): Context {
  return { store: { coolDowns: new Map(coolDowns.map((coolDown) => [coolDown.guest, coolDown])) } } as unknown as Context;
}

const base: CoolDown = { guest: '@guest-1:test', conversation: '!room:test', force: 'police', by: '@pn-agent-1:test', at: 0, until: 60_000, addresses: ['hash-a'] };

describe('close and cool down', () => {
  it('refuses that guest and that address until the end, with the seconds left', () => {
    const ctx = contextWith([base]);
    expect(coolingDown(ctx, 30_000, { guest: '@guest-1:test' })).toBe(30);
    expect(coolingDown(ctx, 30_000, { guest: '@other:test', addressHash: 'hash-a' })).toBe(30);
  });

  it('never refuses anyone else, and nobody once it is over', () => {
    const ctx = contextWith([base]);
    expect(coolingDown(ctx, 30_000, { guest: '@other:test', addressHash: 'hash-b' })).toBeUndefined();
    expect(coolingDown(ctx, 60_000, { guest: '@guest-1:test', addressHash: 'hash-a' })).toBeUndefined();
    expect(coolingDown(contextWith([]), 0, { guest: '@guest-1:test' })).toBeUndefined();
  });
});
