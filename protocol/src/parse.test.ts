import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { StaffContent } from './forces.ts';
import { parseContent } from './parse.ts';

describe('parseContent', () => {
  it('accepts valid staff content and fills defaults', () => {
    const parsed = parseContent(StaffContent, { force: 'police', role: 'agent', pseudonym: 'Sam' });
    expect(parsed).toEqual({ ok: true, value: { force: 'police', role: 'agent', pseudonym: 'Sam', active: true } });
  });

  it('names the bad path without echoing the value', () => {
    const parsed = parseContent(z.object({ body: z.number() }), { body: 'secret words' });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toMatch(/^body: /);
      expect(parsed.error).not.toContain('secret words');
    }
  });

  it('rejects an unknown force', () => {
    expect(parseContent(StaffContent, { force: 'army', role: 'agent', pseudonym: 'X' }).ok).toBe(false);
  });
});
