import { describe, expect, it } from 'vitest';
import { opaqueLocalpart } from './staff.ts';

describe('opaqueLocalpart', () => {
  it('draws ten easy-to-type characters starting with a letter, different every time', () => {
    const drawn = Array.from({ length: 500 }, () => opaqueLocalpart());
    for (const localpart of drawn) expect(localpart).toMatch(/^[a-hj-km-np-z][a-hj-km-np-z2-9]{9}$/);
    expect(new Set(drawn).size).toBe(drawn.length);
  });
});
