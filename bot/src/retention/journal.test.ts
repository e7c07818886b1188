import { mkdtempSync, readFileSync, rmSync, statSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeletionJournal, parseJournal } from './journal.ts';

const dir = mkdtempSync(join(tmpdir(), 'espace-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deletion journal', () => {
  it('appends one line per deletion, in a private file, and reads them back in order', () => {
    const journal = new DeletionJournal(join(dir, 'nested', 'deletions.jsonl'));
    expect(journal.read()).toEqual({ entries: [], unreadable: [] });
    journal.append({ roomId: '!a:test', force: 'police', at: 1 });
    journal.append({ roomId: '!b:test', force: 'gendarmerie', at: 2 });
    expect(journal.read().entries).toEqual([
      { roomId: '!a:test', force: 'police', at: 1 },
      { roomId: '!b:test', force: 'gendarmerie', at: 2 },
    ]);
    expect(statSync(journal.file).mode & 0o777).toBe(0o600);
    expect(readFileSync(journal.file, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('keeps the first deletion of a room once, and names the lines it cannot read without losing the others', () => {
    const text = [
      '{"roomId":"!a:test","force":"police","at":1}',
      '{"roomId":"!a:test","force":"police","at":5}',
      'not json',
      '{"roomId":"nope","force":"police","at":1}',
      '{"roomId":"!c:test","force":"army","at":1}',
      '',
      '{"roomId":"!d:test","force":"gendarmerie","at":3}',
    ].join('\n');
    expect(parseJournal(text)).toEqual({
      entries: [
        { roomId: '!a:test', force: 'police', at: 1 },
        { roomId: '!d:test', force: 'gendarmerie', at: 3 },
      ],
      unreadable: [3, 4, 5],
    });
  });

  it('survives a torn last line: the entries before it are read, the next append starts a new line', () => {
    const journal = new DeletionJournal(join(dir, 'torn.jsonl'));
    journal.append({ roomId: '!a:test', force: 'police', at: 1 });
    appendFileSync(journal.file, '{"roomId":"!b:te');
    expect(journal.read()).toEqual({ entries: [{ roomId: '!a:test', force: 'police', at: 1 }], unreadable: [2] });
    journal.append({ roomId: '!c:test', force: 'police', at: 3 });
    expect(journal.read()).toEqual({
      entries: [
        { roomId: '!a:test', force: 'police', at: 1 },
        { roomId: '!c:test', force: 'police', at: 3 },
      ],
      unreadable: [2],
    });
  });
});
