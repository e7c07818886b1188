import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { addressKey } from '../http/client-address.ts';

/**
 * The hash of the address each guest opened its conversation from, kept until the guest account ends, so that a
 * "close and cool down" still covers the address after a bot restart. Written to a file in the bot's state dir
 * (mode 0600, replaced atomically), never to a room: agents do not see it. Memory only until `persistTo`.
 */
export class AddressBook {
  private readonly hashes = new Map<string, string>();
  /** Guests whose opening came past the soft per-address limit (OpeningPace), until their conversation is queued. */
  private readonly serial = new Set<string>();
  private file: string | undefined;
  private serialFile: string | undefined;
  /** Memory only until `persistTo` reads (or creates) the state dir's secret. */
  private secret: Buffer = randomBytes(32);

  /**
   * The pseudonym of a client address: HMAC-SHA-256 of its key (an IPv6 address counts by its /64) under a
   * secret of the state dir. Unkeyed, a hash of an IPv4 address is reversed by trying all 2^32 of them; keyed,
   * it cannot be without the secret.
   */
  hash(address: string): string {
    return createHmac('sha256', this.secret).update(addressKey(address)).digest('hex');
  }

  /**
   * Loads what an earlier run left and keeps the file up to date from now on; a damaged file is started afresh.
   * The secret (`address-secret` beside the file unless named) is created once, mode 0600, and kept: a new
   * secret would make every recorded hash, and so every running cool-down's addresses, match nothing.
   */
  persistTo(file: string, secretFile = join(dirname(file), 'address-secret')): void {
    this.file = file;
    this.secret = loadSecret(secretFile);
    this.serialFile = join(dirname(file), 'serial-openings.json');
    this.loadSerial(this.serialFile);
    if (!existsSync(file)) return;
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (saved && typeof saved === 'object') {
        for (const [guest, hash] of Object.entries(saved as Record<string, unknown>))
          if (typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash)) this.hashes.set(guest, hash);
      }
    } catch {
      // Only a convenience for cool-downs: a damaged file costs the addresses of conversations open right now.
    }
  }

  get(guest: string): string | undefined {
    return this.hashes.get(guest);
  }

  set(guest: string, hash: string): void {
    if (this.hashes.get(guest) === hash) return;
    this.hashes.set(guest, hash);
    this.save();
  }

  delete(guest: string): void {
    if (this.hashes.delete(guest)) this.save();
    if (this.serial.delete(guest)) this.saveSerial();
  }

  /** Remembers that this guest opened in a series from one address, for its queue entry (agents only). */
  markSerial(guest: string): void {
    if (this.serial.has(guest)) return;
    this.serial.add(guest);
    this.saveSerial();
  }

  isSerial(guest: string): boolean {
    return this.serial.has(guest);
  }

  /** Keeps only the guests `keep` says are still needed (at start: those whose account has not ended). */
  retain(keep: (guest: string) => boolean): void {
    let changed = false;
    for (const guest of [...this.hashes.keys()]) {
      if (keep(guest)) continue;
      this.hashes.delete(guest);
      changed = true;
    }
    if (changed) this.save();
    const before = this.serial.size;
    for (const guest of [...this.serial]) if (!keep(guest)) this.serial.delete(guest);
    if (this.serial.size !== before) this.saveSerial();
  }

  get size(): number {
    return this.hashes.size;
  }

  private loadSerial(file: string): void {
    if (!existsSync(file)) return;
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (Array.isArray(saved)) for (const guest of saved) if (typeof guest === 'string') this.serial.add(guest);
    } catch {
      // A damaged file costs the mark of conversations still in triage, nothing else.
    }
  }

  private saveSerial(): void {
    if (!this.serialFile) return;
    const temporary = `${this.serialFile}.tmp`;
    writeFileSync(temporary, JSON.stringify([...this.serial]) + '\n', { mode: 0o600 });
    renameSync(temporary, this.serialFile);
  }

  private save(): void {
    if (!this.file) return;
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, JSON.stringify(Object.fromEntries(this.hashes)) + '\n', { mode: 0o600 });
    renameSync(temporary, this.file);
  }
}

function loadSecret(file: string): Buffer {
  if (!existsSync(file)) {
    try {
      writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process created it between the check and the write: read theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  chmodSync(file, 0o600);
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(text))
    throw new Error(
      `${file}: expected 64 hexadecimal characters (the address secret); restore it or delete it to start afresh`,
    );
  return Buffer.from(text, 'hex');
}
