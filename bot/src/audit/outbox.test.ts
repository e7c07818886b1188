import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditOutbox } from './outbox.ts';
import type { AuditAction } from '@espace-mineurs/protocol';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fileIn(): string {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
  dirs.push(dir);
  return join(dir, 'audit', 'police.outbox.jsonl');
}

const entry = (action: AuditAction) => ({ actor: '@pn-agent-1:test', action, conversation: '!room:test', at: 1 });

describe('the audit outbox', () => {
  it('keeps what was written, in order, across a crash; what was sent does not come back', () => {
    const file = fileIn();
    const first = new AuditOutbox(file);
    first.load();
    expect(first.add('$claim', entry('claim'))).toBe(true);
    expect(first.add('$close', entry('close'))).toBe(true);
    first.done(first.peek()!.seq);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // No close(): the process died.

    const second = new AuditOutbox(file);
    second.load();
    expect(second.size).toBe(1);
    expect(second.peek()).toMatchObject({ cause: '$close', entry: { action: 'close' } });
  });

  it('refuses the same cause and action twice, pending or already sent, even after a restart', () => {
    const file = fileIn();
    const outbox = new AuditOutbox(file);
    outbox.load();
    expect(outbox.add('$claim', entry('claim'))).toBe(true);
    expect(outbox.add('$claim', entry('claim'))).toBe(false);
    // The same cause may audit two different actions (a transfer to the other force writes to both chains once each).
    expect(outbox.add('$claim', entry('cool_down'))).toBe(true);
    outbox.done(outbox.peek()!.seq);
    expect(outbox.add('$claim', entry('claim'))).toBe(false);
    outbox.close();

    const again = new AuditOutbox(file);
    again.load();
    expect(again.add('$claim', entry('claim'))).toBe(false);
    expect(again.size).toBe(1);
  });

  it('ignores a torn last line (its write never returned, so its handler redoes it)', () => {
    const file = fileIn();
    const outbox = new AuditOutbox(file);
    outbox.load();
    outbox.add('$a', entry('claim'));
    outbox.close();
    appendFileSync(file, '{"seq":2,"cause":"$b","entr');
    const again = new AuditOutbox(file);
    again.load();
    expect(again.size).toBe(1);
    expect(again.add('$b', entry('close'))).toBe(true);
    expect(readFileSync(file, 'utf8')).not.toContain('"entr\n');
  });

  it('only marks the oldest entry done', () => {
    const outbox = new AuditOutbox(fileIn());
    outbox.load();
    outbox.add('$a', entry('claim'));
    outbox.add('$b', entry('close'));
    outbox.done(999);
    expect(outbox.size).toBe(2);
  });
});
