import { CoolDown, FORCES, SafetyEventType, parseContent, type Force } from '@espace-mineurs/protocol';
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
export type { CoolDown };

/** The keyed pseudonym of a client address (`AddressBook.hash`: HMAC, IPv6 by /64). */
export function addressHash(ctx: Context, address: string): string {
  return ctx.store.addressOf.hash(address);
}

/** A recorded cool-down, validated; an emptied (ended) or damaged record is none. */
function parseCoolDown(content: Record<string, unknown>): CoolDown | undefined {
  const parsed = parseContent(CoolDown, content);
  return parsed.ok ? parsed.value : undefined;
}

export async function applyCoolDown(
  ctx: Context,
  conversation: Conversation,
  input: { force: Force; by: string; at: number; minutes: number; cause: string },
): Promise<void> {
  // Only the address the bot's API saw (behind the proxy, the real client): Synapse's own record may hold the
  // proxy's address, and cooling that down would shut everyone out.
  const addresses = new Set<string>();
  const seen = ctx.store.addressOf.get(conversation.guest);
  if (seen) addresses.add(seen);
  const coolDown: CoolDown = {
    guest: conversation.guest,
    conversation: conversation.roomId,
    force: input.force,
    by: input.by,
    at: input.at,
    until: input.at + input.minutes * 60_000,
    addresses: [...addresses],
  };
  await ctx.audit.write([input.force], `cool_down:${input.cause}`, {
    actor: input.by,
    action: 'cool_down',
    conversation: conversation.roomId,
    at: input.at,
    details: { minutes: input.minutes, addresses: coolDown.addresses.length },
  });
  await ctx.matrix.putState(
    ctx.store.forces[input.force].supervisorsRoomId,
    CoolDownEventType,
    stateKey(conversation.guest),
    coolDown,
  );
  ctx.store.coolDowns.set(conversation.guest, coolDown);
}

/** Seconds left before this guest or address may open a conversation again; undefined when free. */
export function coolingDown(
  ctx: Context,
  now: number,
  who: { guest?: string; addressHash?: string },
): number | undefined {
  let until = 0;
  for (const coolDown of ctx.store.coolDowns.values()) {
    if (coolDown.until <= now) continue;
    if (coolDown.guest === who.guest || (who.addressHash !== undefined && coolDown.addresses.includes(who.addressHash)))
      until = Math.max(until, coolDown.until);
  }
  return until > now ? Math.ceil((until - now) / 1000) : undefined;
}

export async function loadCoolDowns(ctx: Context): Promise<void> {
  for (const force of FORCES) {
    for (const event of await ctx.matrix.roomState(ctx.store.forces[force].supervisorsRoomId)) {
      if (event.type !== CoolDownEventType || !ctx.matrix.isOwn(event.sender)) continue;
      const coolDown = parseCoolDown(event.content);
      if (coolDown) ctx.store.coolDowns.set(coolDown.guest, coolDown);
    }
  }
}

/** Sweeper: a cool-down that is over is forgotten, its hashed addresses with it. */
export async function forgetEndedCoolDowns(ctx: Context, now: number): Promise<void> {
  for (const coolDown of [...ctx.store.coolDowns.values()]) {
    if (coolDown.until > now) continue;
    await ctx.matrix.putState(
      ctx.store.forces[coolDown.force].supervisorsRoomId,
      CoolDownEventType,
      stateKey(coolDown.guest),
      {},
    );
    ctx.store.coolDowns.delete(coolDown.guest);
  }
}
