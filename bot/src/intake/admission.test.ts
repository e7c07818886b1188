import { describe, expect, it } from 'vitest';
import { Admission } from './admission.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('admission', () => {
  it('runs at most `limit` tasks at once and starts them in arrival order', async () => {
    const admission = new Admission(2);
    const started: number[] = [];
    const release: Array<() => void> = [];
    let peak = 0;
    let running = 0;
    const tasks = Array.from({ length: 6 }, (_, index) =>
      admission.run(async () => {
        started.push(index);
        peak = Math.max(peak, ++running);
        await new Promise<void>((resolve) => release.push(resolve));
        running--;
        return index;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(admission.busy).toBe(6);
    expect(admission.load).toEqual({ running: 2, waiting: 4 });
    // Finishing the second first still lets the third in line start next, not a later one.
    release[1]!();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    for (const index of [0, 2, 3, 4, 5]) {
      while (release.length <= index) await tick();
      release[index]!();
    }
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(admission.busy).toBe(0);
    expect(admission.load).toEqual({ running: 0, waiting: 0 });
  });

  it('frees the slot of a task that fails', async () => {
    const admission = new Admission(1);
    await expect(admission.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await admission.run(() => Promise.resolve('next'))).toBe('next');
    expect(admission.busy).toBe(0);
  });

  it('lets a newcomer wait behind those already waiting even when a slot frees at that moment', async () => {
    const admission = new Admission(1);
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = admission.run(
      () => new Promise<void>((resolve) => (releaseFirst = () => (order.push('a'), resolve()))),
    );
    const second = admission.run(async () => void order.push('b'));
    await tick();
    releaseFirst();
    const third = admission.run(async () => void order.push('c'));
    await Promise.all([first, second, third]);
    expect(order).toEqual(['a', 'b', 'c']);
  });
});
