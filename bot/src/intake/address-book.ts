import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * The hash of the address each guest opened its conversation from, kept until the guest account ends, so that a
 * "close and cool down" still covers the address after a bot restart. Written to a file in the bot's state dir
 * (mode 0600, replaced atomically), never to a room: agents do not see it. Memory only until `persistTo`.
 */
export class AddressBook {
  private readonly hashes = new Map<string, string>();
  private file: string | undefined;

  /** Loads what an earlier run left and keeps the file up to date from now on; a damaged file is started afresh. */
  persistTo(file: string): void {
    this.file = file;
    if (!existsSync(file)) return;
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (saved && typeof saved === 'object') {
        for (const [guest, hash] of Object.entries(saved as Record<string, unknown>)) if (typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash)) this.hashes.set(guest, hash);
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
  }

  get size(): number {
    return this.hashes.size;
  }

  private save(): void {
    if (!this.file) return;
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, JSON.stringify(Object.fromEntries(this.hashes)) + '\n', { mode: 0o600 });
    renameSync(temporary, this.file);
  }
}
