import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { BOT_DIR } from '../config.ts';
import { expectedWait, route, shouldOverflow, type ForceLoad } from './policy.ts';
import { loadRoutingRules, parseRoutingRules } from './rules.ts';

const rules = loadRoutingRules(join(BOT_DIR, 'routing.yaml'));
const idle: ForceLoad = { onDuty: 0, freeSlots: 0, queued: 0 };
const free: ForceLoad = { onDuty: 2, freeSlots: 6, queued: 0 };
const busy: ForceLoad = { onDuty: 2, freeSlots: 0, queued: 8 };

describe('routing policy', () => {
  it('sends Paris and the petite couronne to the police whatever the waits', () => {
    for (const code of ['75011', '92100', '93200', '94000']) {
      expect(route(rules, code, { police: busy, gendarmerie: free })).toMatchObject({
        force: 'police',
        reason: 'rule',
      });
    }
  });

  it('otherwise picks the force with the shortest expected wait among agents on duty', () => {
    expect(route(rules, '69003', { police: busy, gendarmerie: free })).toEqual({
      force: 'gendarmerie',
      reason: 'shortest_wait',
    });
    expect(route(rules, undefined, { police: free, gendarmerie: busy })).toEqual({
      force: 'police',
      reason: 'shortest_wait',
    });
    expect(route(rules, '13001', { police: idle, gendarmerie: busy }).force).toBe('gendarmerie');
  });

  it('is deterministic when nobody is on duty: fewer waiting, then police', () => {
    expect(route(rules, undefined, { police: idle, gendarmerie: idle }).force).toBe('police');
    expect(route(rules, undefined, { police: { ...idle, queued: 3 }, gendarmerie: { ...idle, queued: 1 } }).force).toBe(
      'gendarmerie',
    );
  });

  it('computes expected waits', () => {
    expect(expectedWait(idle)).toBe(Number.POSITIVE_INFINITY);
    expect(expectedWait(free)).toBe(0);
    expect(expectedWait(busy)).toBe(4.5);
  });

  it('overflows once, after the limit, only to a force with someone on duty', () => {
    expect(shouldOverflow({ waitedSeconds: 601, limitSeconds: 600, alreadyMoved: false, other: free })).toBe(true);
    expect(shouldOverflow({ waitedSeconds: 599, limitSeconds: 600, alreadyMoved: false, other: free })).toBe(false);
    expect(shouldOverflow({ waitedSeconds: 601, limitSeconds: 600, alreadyMoved: true, other: free })).toBe(false);
    expect(shouldOverflow({ waitedSeconds: 601, limitSeconds: 600, alreadyMoved: false, other: idle })).toBe(false);
  });

  it('refuses a rules file with a bad force, naming the path', () => {
    expect(() => parseRoutingRules({ rules: [{ name: 'x', force: 'army', departments: ['75'] }] })).toThrow(
      /rules\.0\.force/,
    );
  });
});
