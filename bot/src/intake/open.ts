import { EventType, type ConversationRoomContent, type PublicStatus } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { TERMINAL, stateOf, type Conversation } from '../state/store.ts';
import { startTriage } from '../triage/machine.ts';
import { repliesContent } from '../triage/render.ts';
import { enqueue } from '../queue/enqueue.ts';
import { say } from '../conversation/messages.ts';
import { writeStatus } from '../conversation/status.ts';
import { crashPoint } from '../runtime/fault.ts';
import { withProgress } from './progress.ts';
import { createConversationRoom } from './room.ts';

/**
 * Opens a conversation for a guest, or returns the one already open (one at a time). Openings are admitted in
 * arrival order, a few at once (intake/admission.ts). A ready room from the pool is named for the guest (its
 * marker: from then on it is their conversation, at restart too) and the guest invited; with the pool empty, the
 * room is created with the guest invited and its marker in one request. Either way a crash never leaves a room
 * the bot cannot find again; the remaining steps are idempotent and redone by the next call or at restart.
 */
export async function openConversation(
  ctx: Context,
  guest: string,
  preset: Record<string, string>,
): Promise<{ conversation: Conversation; created: boolean }> {
  return ctx.locks.run(`guest:${guest}`, async () => {
    const latestId = ctx.store.latestByGuest.get(guest);
    const latest = latestId ? ctx.store.conversations.get(latestId) : undefined;
    if (latest && !TERMINAL.has(stateOf(latest))) {
      await ctx.locks.run(`conversation:${latest.roomId}`, () => ensureStarted(ctx, latest));
      return { conversation: latest, created: false };
    }
    const conversation = await ctx.admission.run(async () => {
      const createdAt = ctx.now();
      const marker: ConversationRoomContent = {
        guest,
        createdAt,
        ...(Object.keys(preset).length > 0 ? { preset } : {}),
      };
      const pooled = ctx.pool.take();
      let roomId: string;
      if (pooled) {
        await ctx.matrix.putState(pooled, EventType.ConversationRoom, '', marker);
        crashPoint('open-after-marker');
        // One request when all goes well; a retried invite that had gone through is checked before being redone.
        await ctx.matrix.invite(pooled, guest).catch(() => ctx.matrix.ensureInvited(pooled, guest));
        roomId = pooled;
      } else {
        roomId = await createConversationRoom(ctx, createdAt, marker);
      }
      const status: PublicStatus = { state: 'triage', agentJoined: false, updatedAt: createdAt };
      const opened: Conversation = {
        roomId,
        guest,
        createdAt,
        triage: startTriage(ctx.triage, preset).progress,
        entry: undefined,
        status,
        lastGuestActivity: createdAt,
        triageEvidence: [],
      };
      ctx.store.add(opened);
      ctx.log.info({ roomId, pooled: pooled !== undefined }, 'opened a conversation');
      ctx.metrics.recordOpening(pooled !== undefined);
      await ctx.locks.run(`conversation:${roomId}`, () => sendStart(ctx, opened));
      return opened;
    });
    ctx.pool.refill();
    return { conversation, created: true };
  });
}

/**
 * The introduction and first question, while no answer was handled yet; the last message carries the starting
 * progress (intake/progress.ts). Their transaction ids are fixed, so calling this again (a second POST, a
 * restart) never shows them twice.
 */
export async function sendStart(ctx: Context, conversation: Conversation): Promise<void> {
  const progress = conversation.triage;
  if (!progress || progress.handled.length > 0 || conversation.entry || TERMINAL.has(stateOf(conversation))) return;
  const step = startTriage(ctx.triage, progress.answers);
  const replies = repliesContent(ctx.triage, step.replies);
  const messages = step.progress.done ? replies : withProgress(replies, step.progress);
  for (const [index, content] of messages.entries())
    await say(ctx, conversation.roomId, content, 'triage-start', String(index));
  if (step.progress.done) await enqueue(ctx, conversation, `start:${conversation.roomId}`, ctx.now(), step.progress);
}

/**
 * For a conversation found again: invite and first question, each done once whatever happened before a crash.
 * Only a guest never invited is invited: one who left is not brought back (their leaving ends the conversation).
 */
export async function ensureStarted(ctx: Context, conversation: Conversation): Promise<void> {
  if (TERMINAL.has(stateOf(conversation))) return;
  if ((await ctx.matrix.membership(conversation.roomId, conversation.guest)) === undefined)
    await ctx.matrix.ensureInvited(conversation.roomId, conversation.guest);
  await sendStart(ctx, conversation);
  await writeStatus(ctx, conversation, ctx.now());
}
