import { type ConversationEntry } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { TERMINAL, stateOf, type Conversation } from '../state/store.ts';
import { cleanEntry, saveEntry } from '../conversation/entry.ts';
import { notifyQueue } from '../conversation/messages.ts';
import { closeConversation } from './end.ts';

function leftNotice(entry: ConversationEntry): string {
  const next =
    entry.state === 'assigned'
      ? `Elle reste ouverte : clôturez-la avec une issue (!clore ${entry.ticket} <issue>).`
      : 'Elle reste dans la file : sans nouvelles du jeune, elle sera close comme abandonnée.';
  return `Conversation n°${entry.ticket} : le jeune a quitté la conversation (sortie rapide ou « Terminer »). ${next}`;
}

/**
 * The young person left from the site (quick exit, or « Terminer »). A conversation an agent may already be
 * reading is not lost: it is marked (`guestLeftAt`) and the force is told at once, and the agent closes it with
 * the outcome they choose. A conversation still in triage has nobody to tell and simply ends. Idempotent: a second
 * leave (the beacon and « Terminer » both) changes nothing.
 */
export async function guestLeft(ctx: Context, conversation: Conversation, cause: string, at: number): Promise<void> {
  if (TERMINAL.has(stateOf(conversation))) return;
  const entry = conversation.entry;
  if (!entry) {
    await closeConversation(ctx, conversation, cause, at, conversation.guest, 'none');
    return;
  }
  if (entry.guestLeftAt !== undefined && entry.lastEvent !== cause) return;
  if (entry.lastEvent !== cause)
    await saveEntry(ctx, conversation, cleanEntry({ ...entry, guestLeftAt: at, lastEvent: cause }));
  const current = conversation.entry ?? entry;
  await notifyQueue(ctx, current.force, leftNotice(current), cause, 'guest_left');
}

/** The young person wrote again after leaving (the tab still held the session): the mark goes, the force is told. */
export async function guestReturned(ctx: Context, conversation: Conversation, cause: string): Promise<void> {
  const entry = conversation.entry;
  if (!entry || entry.guestLeftAt === undefined || TERMINAL.has(entry.state)) return;
  // lastEvent stays: it names the cause of the last transition, which a replay of this message must not mimic.
  const { guestLeftAt: _left, ...rest } = entry;
  await saveEntry(ctx, conversation, cleanEntry(rest));
  await notifyQueue(
    ctx,
    entry.force,
    `Conversation n°${entry.ticket} : le jeune est revenu dans la conversation.`,
    cause,
    'guest_returned',
  );
}
