import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Force } from '@espace-mineurs/protocol';
import { hashRecord, type AuditRecord } from './chain.ts';
import type { ChainItem } from './verify.ts';

/** One line of the JSON-lines mirror: the record exactly as sent to the audit room, and where it landed. */
export interface MirrorLine {
  force: Force;
  eventId: string;
  sender: string;
  /** sha256 of the record (canonical JSON): what the next record's `prev` must be. */
  hash: string;
  record: AuditRecord;
}

export interface MirrorContents {
  lines: MirrorLine[];
  /** Lines that are not valid JSON or not mirror lines (1-based line numbers): a sign of tampering or a torn write. */
  unreadable: number[];
}

function asLine(value: unknown): MirrorLine | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const line = value as Record<string, unknown>;
  if (
    typeof line.force !== 'string' ||
    typeof line.eventId !== 'string' ||
    typeof line.sender !== 'string' ||
    typeof line.hash !== 'string'
  )
    return undefined;
  if (line.record === null || typeof line.record !== 'object') return undefined;
  return line as unknown as MirrorLine;
}

export async function readMirror(file: string): Promise<MirrorContents> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], unreadable: [] };
    throw error;
  }
  const lines: MirrorLine[] = [];
  const unreadable: number[] = [];
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      unreadable.push(index + 1);
      return;
    }
    const line = asLine(parsed);
    if (line) lines.push(line);
    else unreadable.push(index + 1);
  });
  return { lines, unreadable };
}

/** The mirror's chain for one force, ready for verifyChain / compareWithMirror. */
export function mirrorChain(contents: MirrorContents, force: Force): ChainItem[] {
  return contents.lines
    .filter((line) => line.force === force)
    .map((line) => ({ eventId: line.eventId, sender: line.sender, record: line.record }));
}

/**
 * Append-only JSON-lines copy of the audit chain, on the bot host's disk (0600). Each append is one write on a
 * file opened in append mode, then fsync, so a crash leaves at worst one torn last line, which `readMirror`
 * reports. An event already mirrored (a replayed write) is not appended twice.
 */
export class AuditMirror {
  private readonly file: string;
  private known: Set<string> | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    this.file = file;
  }

  get path(): string {
    return this.file;
  }

  private async knownIds(): Promise<Set<string>> {
    this.known ??= new Set((await readMirror(this.file)).lines.map((line) => line.eventId));
    return this.known;
  }

  /** Appends one record; resolves once it is on disk. Returns false when that event was already mirrored. */
  append(force: Force, eventId: string, sender: string, record: AuditRecord): Promise<boolean> {
    const task = async (): Promise<boolean> => {
      const known = await this.knownIds();
      if (known.has(eventId)) return false;
      const line: MirrorLine = { force, eventId, sender, hash: hashRecord(record), record };
      await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
      const handle = await open(this.file, 'a', 0o600);
      try {
        await handle.chmod(0o600);
        await handle.write(`${JSON.stringify(line)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      known.add(eventId);
      return true;
    };
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => {});
    return next;
  }

  /**
   * Appends the room's records the mirror does not hold yet, in room order (a catch-up after a crash between
   * the Matrix send and the mirror write, or for a mirror started late). Returns how many were appended.
   */
  async catchUp(force: Force, room: readonly ChainItem[]): Promise<number> {
    let appended = 0;
    for (const item of room) {
      if (!item.eventId || !item.sender) continue;
      if (await this.append(force, item.eventId, item.sender, item.record as AuditRecord)) appended++;
    }
    return appended;
  }
}

/** Makes sure an existing mirror is private (it names conversations and staff). */
export async function protectMirror(file: string): Promise<void> {
  await chmod(file, 0o600);
}
