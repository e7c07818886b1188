import { describe, expect, it } from 'vitest';
import { dueExports, parseExportRecord, type ExportRecord } from './record.ts';

const record = (id: string, at: number, extra: Partial<ExportRecord> = {}): ExportRecord => ({
  id,
  conversation: `!${id}:test`,
  force: 'police',
  by: '@pn-superviseur-1:test',
  at,
  documentSha256: 'f'.repeat(64),
  files: [{ eventId: `$${id}-json`, mxc: `mxc://test/${id}json` }],
  ...extra,
});

describe('exports posted in the supervisors room', () => {
  it('are due once their period has run out, or as soon as their conversation is deleted; never twice', () => {
    const records = [
      record('old', 0),
      record('recent', 9_000),
      record('gone', 9_000),
      record('done', 0, { removedAt: 5_000 }),
    ];
    const due = dueExports(records, 10_000, 5_000, new Set(['!gone:test']));
    expect(due.map((item) => item.id)).toEqual(['old', 'gone']);
  });

  it('are read back only from well-formed records', () => {
    expect(parseExportRecord(record('a', 1))).toMatchObject({ id: 'a' });
    expect(parseExportRecord({ ...record('a', 1), force: 'army' })).toBeUndefined();
    expect(parseExportRecord({ ...record('a', 1), files: [{ eventId: 1 }] })).toBeUndefined();
    expect(parseExportRecord({})).toBeUndefined();
    expect(parseExportRecord(null)).toBeUndefined();
  });
});
