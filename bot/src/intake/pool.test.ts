import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Admission } from './admission.ts';
import { RoomPool } from './pool.ts';

const log = pino({ level: 'silent' });
const until = async (check: () => boolean) => {
  for (let waited = 0; !check(); waited += 5) {
    if (waited > 5000) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('room pool', () => {
  it('fills up to its target, hands rooms out oldest first and once each, and refills', async () => {
    let created = 0;
    const pool = new RoomPool({
      target: 3,
      admission: new Admission(2),
      create: async () => `!room${++created}:test`,
      log,
    });
    pool.add('!found:test');
    pool.add('!found:test');
    pool.refill();
    await until(() => pool.size === 3);
    expect(created).toBe(2);
    expect([pool.take(), pool.take()]).toEqual(['!found:test', '!room1:test']);
    pool.refill();
    await until(() => pool.size === 3);
    expect([pool.take(), pool.take(), pool.take()]).toEqual(['!room2:test', '!room3:test', '!room4:test']);
    await pool.stop();
  });

  it('creates nothing while an opening runs or waits, and resumes after', async () => {
    const admission = new Admission(1);
    let created = 0;
    const pool = new RoomPool({ target: 2, admission, create: async () => `!room${++created}:test`, log });
    let release!: () => void;
    const opening = admission.run(() => new Promise<void>((resolve) => (release = resolve)));
    pool.refill();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(created).toBe(0);
    release();
    await opening;
    await until(() => pool.size === 2);
    await pool.stop();
  });

  it('keeps trying after a failed creation, and a stopped pool creates no more', async () => {
    let attempts = 0;
    const pool = new RoomPool({
      target: 1,
      admission: new Admission(1),
      create: async () => (++attempts === 1 ? Promise.reject(new Error('busy')) : `!room:test`),
      log,
    });
    pool.refill();
    await until(() => pool.size === 1);
    expect(attempts).toBe(2);
    pool.take();
    await pool.stop();
    pool.refill();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pool.size).toBe(0);
  }, 15_000);
});
