import { EventType, type ConversationRoomContent, type PublicStatus } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { TERMINAL, stateOf, type Conversation } from '../state/store.ts';
import { startTriage } from '../triage/machine.ts';
import { repliesContent } from '../triage/render.ts';
import { enqueue } from '../queue/enqueue.ts';
import { say } from '../conversation/messages.ts';
import { youthRoomPowerLevels } from '../conversation/power-levels.ts';
import { writeStatus } from '../conversation/status.ts';

/** A neutral name: it shows in notifications and browser tabs, so it says nothing about why. */
const ROOM_NAME = 'Espace mineurs';

/**
 * Opens a conversation for a guest, or returns the one already open (one at a time). The room is created with
 * the guest invited, its marker state and its power levels in one request, so a crash never leaves a room the
 * bot cannot find again; the remaining steps are idempotent and redone by the next call or at restart.
 */
export async function openConversation(ctx: Context, guest: string, preset: Record<string, string>): Promise<{ conversation: Conversation; created: boolean }> {
  return ctx.locks.run(`guest:${guest}`, async () => {
    const latestId = ctx.store.latestByGuest.get(guest);
    const latest = latestId ? ctx.store.conversations.get(latestId) : undefined;
    if (latest && !TERMINAL.has(stateOf(latest))) {
      await ctx.locks.run(`conversation:${latest.roomId}`, () => ensureStarted(ctx, latest, preset));
      return { conversation: latest, created: false };
    }
    const createdAt = ctx.now();
    const marker: ConversationRoomContent = { guest, createdAt };
    // Triage progress and public status go in with the room (one request instead of three); only the first
    // question is sent afterwards, by sendStart, which any later call or the restart repeats idempotently.
    const progress = startTriage(ctx.triage, preset).progress;
    const status: PublicStatus = { state: 'triage', agentJoined: false, updatedAt: createdAt };
    const roomId = await ctx.matrix.createRoom({
      preset: 'private_chat',
      visibility: 'private',
      name: ROOM_NAME,
      invite: [guest],
      creation_content: { 'm.federate': false },
      power_level_content_override: youthRoomPowerLevels(ctx.matrix.userId),
      initial_state: [
        { type: 'm.room.join_rules', state_key: '', content: { join_rule: 'invite' } },
        { type: 'm.room.guest_access', state_key: '', content: { guest_access: 'can_join' } },
        // Agents invited later must read the whole conversation, triage included.
        { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } },
        { type: EventType.ConversationRoom, state_key: '', content: marker },
        { type: EventType.Triage, state_key: '', content: progress },
        { type: EventType.Status, state_key: '', content: status },
      ],
    });
    const conversation: Conversation = { roomId, guest, createdAt, triage: progress, entry: undefined, status, lastGuestActivity: createdAt };
    ctx.store.add(conversation);
    ctx.log.info({ roomId }, 'opened a conversation');
    await ctx.locks.run(`conversation:${roomId}`, () => sendStart(ctx, conversation));
    return { conversation, created: true };
  });
}

/**
 * The introduction and first question, while no answer was handled yet. Their transaction ids are fixed, so
 * calling this again (a second POST, a restart) never shows them twice.
 */
export async function sendStart(ctx: Context, conversation: Conversation): Promise<void> {
  const progress = conversation.triage;
  if (!progress || progress.handled.length > 0 || conversation.entry || TERMINAL.has(stateOf(conversation))) return;
  const step = startTriage(ctx.triage, progress.answers);
  for (const [index, content] of repliesContent(ctx.triage, step.replies).entries()) await say(ctx, conversation.roomId, content, 'triage-start', String(index));
  if (step.progress.done) await enqueue(ctx, conversation, `start:${conversation.roomId}`, ctx.now(), step.progress);
}

/** For a conversation found again: invite and first question, each done once whatever happened before a crash. */
export async function ensureStarted(ctx: Context, conversation: Conversation, preset: Record<string, string>): Promise<void> {
  if (TERMINAL.has(stateOf(conversation))) return;
  await ctx.matrix.ensureInvited(conversation.roomId, conversation.guest);
  if (!conversation.triage) {
    // A room from before triage progress was written at creation.
    const progress = startTriage(ctx.triage, preset).progress;
    await ctx.matrix.putState(conversation.roomId, EventType.Triage, '', progress);
    conversation.triage = progress;
  }
  await sendStart(ctx, conversation);
  await writeStatus(ctx, conversation, ctx.now());
}
