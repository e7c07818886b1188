import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { FORCES, SafetyEventType, type Force } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import type { Conversation } from '../state/store.ts';

/**
 * "Close and cool down": an agent (never the bot on its own) closes a conversation and refuses new ones from that
 * guest and its addresses for a while. State in the force's supervisors room, key = the guest's user ID, so it
 * survives a restart; addresses are kept hashed, and the content is emptied once the cool-down is over.
 * The state key is `guest:<user ID>`: Synapse reserves keys starting with `@` to the user they name.
 */
function stateKey(guest: string): string {
  return `guest:${guest}`;
}

export const CoolDownEventType = SafetyEventType.CoolDown;

export interface CoolDown {
  guest: string;
  conversation: string;
  force: Force;
  by: string;
  at: number;
  until: number;
  /** sha256 of the address the bot's API saw when this guest opened its conversation (kept across restarts: AddressBook). */
  addresses: string[];
}

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

export function addressHash(ctx: Context, address: string): string {
  return createHash('sha256').update(`${ctx.matrix.userId}\u0000${address}`).digest('hex');
}

function parseCoolDown(content: Record<string, unknown>): CoolDown | undefined {
  if (typeof content.guest !== 'string' || typeof content.until !== 'number' || !Array.isArray(content.addresses)) return undefined;
  if (!(FORCES as readonly unknown[]).includes(content.force)) return undefined;
  return content as unknown as CoolDown;
}

export async function applyCoolDown(ctx: Context, conversation: Conversation, input: { force: Force; by: string; at: number; minutes: number; cause: string }): Promise<void> {
  // Only the address the bot's API saw (behind the proxy, the real client): Synapse's own record may hold the
  // proxy's address, and cooling that down would shut everyone out.
  const addresses = new Set<string>();
  const seen = ctx.store.addressOf.get(conversation.guest);
  if (seen) addresses.add(seen);
  const coolDown: CoolDown = { guest: conversation.guest, conversation: conversation.roomId, force: input.force, by: input.by, at: input.at, until: input.at + input.minutes * 60_000, addresses: [...addresses] };
  await ctx.audit.write([input.force], `cool_down:${input.cause}`, { actor: input.by, action: 'cool_down', conversation: conversation.roomId, at: input.at, details: { minutes: input.minutes, addresses: coolDown.addresses.length } });
  await ctx.matrix.putState(ctx.store.forces[input.force].supervisorsRoomId, CoolDownEventType, stateKey(conversation.guest), coolDown);
  ctx.store.coolDowns.set(conversation.guest, coolDown);
}

/** Seconds left before this guest or address may open a conversation again; undefined when free. */
export function coolingDown(ctx: Context, now: number, who: { guest?: string; addressHash?: string }): number | undefined {
  let until = 0;
  for (const coolDown of ctx.store.coolDowns.values()) {
    if (coolDown.until <= now) continue;
    if (coolDown.guest === who.guest || (who.addressHash !== undefined && coolDown.addresses.includes(who.addressHash))) until = Math.max(until, coolDown.until);
  }
  return until > now ? Math.ceil((until - now) / 1000) : undefined;
}

export async function loadCoolDowns(ctx: Context): Promise<void> {
  for (const force of FORCES) {
    for (const event of await ctx.matrix.roomState(ctx.store.forces[force].supervisorsRoomId)) {
      if (event.type !== CoolDownEventType || event.sender !== ctx.matrix.userId) continue;
      const coolDown = parseCoolDown(event.content);
      if (coolDown) ctx.store.coolDowns.set(coolDown.guest, coolDown);
    }
  }
}

/** Sweeper: a cool-down that is over is forgotten, its hashed addresses with it. */
export async function forgetEndedCoolDowns(ctx: Context, now: number): Promise<void> {
  for (const coolDown of [...ctx.store.coolDowns.values()]) {
    if (coolDown.until > now) continue;
    await ctx.matrix.putState(ctx.store.forces[coolDown.force].supervisorsRoomId, CoolDownEventType, stateKey(coolDown.guest), {});
    ctx.store.coolDowns.delete(coolDown.guest);
  }
}
