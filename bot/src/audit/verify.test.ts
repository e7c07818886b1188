import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { hashRecord, type AuditEntry, type AuditRecord } from './chain.ts';
import { AuditMirror, mirrorChain, readMirror } from './mirror.ts';
import { compareWithMirror, describeBreak, verifyChain, type ChainItem } from './verify.ts';

const BOT = '@espace-bot:test';

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mirror-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function chain(entries: AuditEntry[]): ChainItem[] {
  let prev = 'genesis';
  return entries.map((entry, index) => {
    const record: AuditRecord = { ...entry, prev };
    prev = hashRecord(record);
    return { eventId: `$e${index}`, sender: BOT, record };
  });
}

const entries: AuditEntry[] = Array.from({ length: 6 }, (_, index) => ({
  actor: `@pn-agent-${index}:test`,
  action: index % 2 ? 'claim' : 'close',
  conversation: `!room${index}:test`,
  at: 1_700_000_000_000 + index,
  details: { outcome: 'none', n: index, ok: true },
}));

describe('verifyChain', () => {
  it('accepts an intact chain and returns its head', () => {
    const items = chain(entries);
    const report = verifyChain(items, { trustedSender: BOT });
    expect(report).toMatchObject({ ok: true, count: 6 });
    expect(report.head).toBe(hashRecord(items[5]!.record as AuditRecord));
    expect(verifyChain([])).toEqual({ ok: true, count: 0, head: 'genesis' });
  });

  it('names the link after a modified record, with expected and found hashes', () => {
    const items = chain(entries);
    const original = items[2]!.record as AuditRecord;
    items[2] = { ...items[2]!, record: { ...original, actor: '@someone-else:test' } };
    const report = verifyChain(items, { trustedSender: BOT });
    expect(report.ok).toBe(false);
    expect(report.firstBreak).toEqual({
      index: 3,
      eventId: '$e3',
      kind: 'prev_mismatch',
      expected: hashRecord(items[2]!.record as AuditRecord),
      found: hashRecord(original),
    });
    expect(describeBreak(report)).toContain('entrée n°3');
  });

  it('detects a removed record and an inserted one', () => {
    const removed = chain(entries);
    removed.splice(1, 1);
    expect(verifyChain(removed).firstBreak).toMatchObject({ index: 1, kind: 'prev_mismatch' });

    const inserted = chain(entries);
    inserted.splice(4, 0, {
      eventId: '$forged',
      sender: BOT,
      record: { actor: 'x', action: 'close', at: 1, prev: hashRecord(inserted[3]!.record as AuditRecord) },
    });
    // The forged record links correctly to its predecessor; its successor no longer does.
    expect(verifyChain(inserted).firstBreak).toMatchObject({ index: 5, kind: 'fork', forkOf: 3 });
  });

  it('tells a fork (two writers from one head) from tampering', () => {
    const items = chain(entries.slice(0, 3));
    const fork: ChainItem = {
      eventId: '$other',
      sender: BOT,
      record: { actor: 'admin', action: 'delete', at: 5, prev: (items[2]!.record as AuditRecord).prev },
    };
    expect(verifyChain([...items, fork]).firstBreak).toMatchObject({ index: 3, kind: 'fork', forkOf: 1 });
  });

  it('refuses records from another sender and malformed content', () => {
    const items = chain(entries);
    items[1] = { ...items[1]!, sender: '@admin:test' };
    expect(verifyChain(items, { trustedSender: BOT }).firstBreak).toMatchObject({ index: 1, kind: 'foreign_sender' });
    for (const bad of [
      null,
      'text',
      [],
      { actor: 'a', action: 'b', prev: 'genesis' },
      { actor: 'a', action: 'b', at: 1, prev: 'genesis', details: { nested: {} } },
    ]) {
      expect(verifyChain([{ eventId: '$x', sender: BOT, record: bad }]).firstBreak?.kind).toBe('malformed');
    }
  });

  it('verifies from an anchor (a head recorded earlier)', () => {
    const items = chain(entries);
    const anchor = (items[3]!.record as AuditRecord).prev;
    expect(verifyChain(items.slice(3), { anchor }).ok).toBe(true);
    expect(verifyChain(items.slice(3)).firstBreak).toMatchObject({ index: 0, kind: 'prev_mismatch' });
  });
});

describe('AuditMirror', () => {
  it('appends JSON lines (0600), skips an event already mirrored, and reads back the same chain', async () => {
    const file = join(scratch(), 'audit', 'police.jsonl');
    const mirror = new AuditMirror(file);
    const items = chain(entries);
    for (const item of items)
      expect(await mirror.append('police', item.eventId!, item.sender!, item.record as AuditRecord)).toBe(true);
    expect(await mirror.append('police', '$e0', BOT, items[0]!.record as AuditRecord)).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const contents = await readMirror(file);
    expect(contents.unreadable).toEqual([]);
    const read = mirrorChain(contents, 'police');
    expect(read).toEqual(items);
    expect(verifyChain(read, { trustedSender: BOT }).ok).toBe(true);
    // A second instance (a restart) knows what is there already.
    expect(await new AuditMirror(file).catchUp('police', items)).toBe(0);
  });

  it('detects an edited line, even the last one, by comparing with the room', async () => {
    const file = join(scratch(), 'gendarmerie.jsonl');
    const items = chain(entries);
    await new AuditMirror(file).catchUp('gendarmerie', items);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const last = JSON.parse(lines[5]!);
    last.record.details.outcome = '119';
    lines[5] = JSON.stringify(last);
    lines.push('{"torn":');
    writeFileSync(file, lines.join('\n') + '\n');
    const contents = await readMirror(file);
    expect(contents.unreadable).toEqual([7]);
    const mirrored = mirrorChain(contents, 'gendarmerie');
    // The chain alone cannot see a change to its last record…
    expect(verifyChain(mirrored).ok).toBe(true);
    // …the room can.
    expect(compareWithMirror(items, mirrored)).toEqual({ kind: 'modified', index: 5, eventId: '$e5' });
    expect(compareWithMirror(items, mirrorChain(contents, 'police'))).toBeUndefined();
    expect(compareWithMirror(items.slice(0, 3), mirrored)).toMatchObject({ kind: 'missing_in_room', index: 3 });
    expect(compareWithMirror(items, [items[0]!, items[2]!])).toMatchObject({ kind: 'missing_in_mirror', index: 1 });
  });
});
