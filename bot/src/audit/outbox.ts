import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { AuditEntry } from './chain.ts';

/** One audit entry waiting to be sent to its force's audit room, in the order it was written. */
export interface PendingEntry {
  seq: number;
  cause: string;
  entry: AuditEntry;
}

type Line = { seq: number; cause: string; entry: AuditEntry } | { done: number } | { sent: string };

/** Causes of entries already sent that a start remembers, so a replayed handler does not write them twice. */
const REMEMBERED = 5_000;

export function entryKey(cause: string, entry: AuditEntry): string {
  return `${cause}\u0000${entry.action}`;
}

function parse(raw: string): Line | undefined {
  try {
    const value = JSON.parse(raw) as Record<string, unknown>;
    if (typeof value.done === 'number') return { done: value.done };
    if (typeof value.sent === 'string') return { sent: value.sent };
    if (
      typeof value.seq === 'number' &&
      typeof value.cause === 'string' &&
      value.entry &&
      typeof value.entry === 'object'
    )
      return value as unknown as Line;
  } catch {
    // A torn last line from a crash mid-write: that entry's write never returned, so its handler will redo it.
  }
  return undefined;
}

/**
 * A force's audit entries between the handler that writes them and the audit room: appended and fsynced to a
 * JSON-lines file before `add` returns, sent in order by the AuditLog, then marked done. A crash loses nothing
 * written: the next start sends what is still pending. Handlers therefore hold their conversation's lock for an
 * fsync instead of for a Matrix send that waits behind the whole force's chain (the chain is serial by nature).
 * The file holds what the audit room holds (actors, actions, room IDs, codes; never content), mode 0600.
 */
export class AuditOutbox {
  private readonly file: string;
  private readonly pending: PendingEntry[] = [];
  private readonly keys = new Set<string>();
  /** Keys of sent entries, oldest first (bounded), kept across restarts. */
  private readonly sent: string[] = [];
  private nextSeq = 1;
  private fd: number | undefined;

  constructor(file: string) {
    this.file = file;
  }

  /** Reads what an earlier run left, and rewrites the file with only that (pending entries, recent keys). */
  load(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const entries = new Map<number, PendingEntry>();
    if (existsSync(this.file)) {
      for (const raw of readFileSync(this.file, 'utf8').split('\n')) {
        if (!raw.trim()) continue;
        const line = parse(raw);
        if (!line) continue;
        if ('sent' in line) this.remember(line.sent);
        else if ('done' in line) {
          const done = entries.get(line.done);
          if (done) this.remember(entryKey(done.cause, done.entry));
          entries.delete(line.done);
        } else entries.set(line.seq, line);
      }
    }
    for (const item of [...entries.values()].sort((a, b) => a.seq - b.seq)) {
      this.pending.push({ ...item, seq: this.nextSeq++ });
      this.keys.add(entryKey(item.cause, item.entry));
    }
    const lines = [...this.sent.map((key) => ({ sent: key })), ...this.pending];
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, lines.map((line) => JSON.stringify(line) + '\n').join(''), { mode: 0o600 });
    renameSync(temporary, this.file);
    this.fd = openSync(this.file, 'a', 0o600);
  }

  /** Appends an entry durably; false when the same cause and action is already pending or was sent. */
  add(cause: string, entry: AuditEntry): boolean {
    const key = entryKey(cause, entry);
    if (this.keys.has(key)) return false;
    const item: PendingEntry = { seq: this.nextSeq++, cause, entry };
    this.append(item, true);
    this.pending.push(item);
    this.keys.add(key);
    return true;
  }

  /** The oldest entry not sent yet. */
  peek(): PendingEntry | undefined {
    return this.pending[0];
  }

  /** The oldest entry has reached the audit room (or was given up on): it leaves the outbox. */
  done(seq: number): void {
    const first = this.pending[0];
    if (!first || first.seq !== seq) return;
    this.pending.shift();
    // Not fsynced: if this line is lost, the entry is sent again and found by its transaction id.
    this.append({ done: seq }, false);
    this.remember(entryKey(first.cause, first.entry));
  }

  get size(): number {
    return this.pending.length;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private remember(key: string): void {
    this.keys.add(key);
    this.sent.push(key);
    if (this.sent.length > REMEMBERED) this.keys.delete(this.sent.shift()!);
  }

  private append(line: Line, sync: boolean): void {
    if (this.fd === undefined) throw new Error('the audit outbox is not loaded');
    writeSync(this.fd, JSON.stringify(line) + '\n');
    if (sync) fsyncSync(this.fd);
  }
}
