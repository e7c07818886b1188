import { saveEntry } from '../conversation/entry.ts';
import { firstAgentMessage } from '../conversation/machine.ts';
import { abandonConversation } from '../closing/end.ts';
import { guestReturned } from '../closing/leave.ts';
import { enqueue } from '../queue/enqueue.ts';
import { requeue } from '../queue/requeue.ts';
import { writeStatus } from '../conversation/status.ts';
import { withConversation, type Context } from '../runtime/context.ts';
import type { RawEvent } from '../matrix/client.ts';
import { stateOf, type Conversation } from '../state/store.ts';
import { handleTriageAnswer } from '../intake/triage-answer.ts';
import { startTriage } from '../triage/machine.ts';

/** The young person's messages: triage answers while in triage, activity (for silence timeouts) always. */
async function onGuestMessage(ctx: Context, conversation: Conversation, event: RawEvent): Promise<void> {
  conversation.lastGuestActivity = Math.max(conversation.lastGuestActivity, event.origin_server_ts);
  if (conversation.entry?.guestLeftAt !== undefined) await guestReturned(ctx, conversation, event.event_id);
  if (stateOf(conversation) === 'triage') await handleTriageAnswer(ctx, conversation, event);
  // The last answer replayed after a crash between queueing's commit and its effects: the entry says queued, so
  // triage is over, but the status and the audit entry may be missing. Finish them (both are idempotent).
  // (The progress only matters to a conversation not queued yet; a rebuilt queued one has none in memory.)
  else if (conversation.entry?.lastEvent === event.event_id)
    await enqueue(
      ctx,
      conversation,
      event.event_id,
      event.origin_server_ts,
      conversation.triage ?? startTriage(ctx.triage).progress,
    );
}

/** The first message of the assigned agent, for the time-to-first-message metric. */
async function onStaffMessage(ctx: Context, conversation: Conversation, event: RawEvent): Promise<void> {
  const entry = conversation.entry;
  if (
    !entry ||
    entry.state !== 'assigned' ||
    entry.assignee !== event.sender ||
    entry.firstAgentMessageAt !== undefined
  )
    return;
  await saveEntry(ctx, conversation, firstAgentMessage(entry, event.origin_server_ts));
  ctx.metrics.firstAgentMessageSeconds.observe(
    { force: entry.force },
    Math.max(0, (event.origin_server_ts - entry.createdAt) / 1000),
  );
}

async function onMembership(ctx: Context, conversation: Conversation, event: RawEvent): Promise<void> {
  const membership = event.content.membership;
  const target = event.state_key;
  const entry = conversation.entry;
  if (target === conversation.guest && (membership === 'leave' || membership === 'ban')) {
    await abandonConversation(ctx, conversation, event.event_id, event.origin_server_ts, 'left');
    return;
  }
  if (entry?.lastEvent === event.event_id && target) {
    // Replayed after a crash: finish what the first run committed.
    await requeue(ctx, conversation, event.event_id, event.origin_server_ts, target, 'agent_left');
    return;
  }
  if (!entry || !target || entry.assignee !== target || entry.state !== 'assigned') return;
  if (membership === 'join') {
    conversation.agentJoined = true;
    await writeStatus(ctx, conversation, ctx.now());
  } else if ((membership === 'leave' || membership === 'ban') && !ctx.matrix.isOwn(event.sender)) {
    // The agent left on their own (a kick by the bot is a transfer or a requeue already under way).
    await requeue(ctx, conversation, event.event_id, event.origin_server_ts, target, 'agent_left');
  }
}

/** Every event of a young person's room, under that conversation's lock. */
export function handleYouthRoomEvent(ctx: Context, conversation: Conversation, event: RawEvent): Promise<void> {
  if (ctx.matrix.isOwn(event.sender) && event.type !== 'm.room.member') return Promise.resolve();
  return withConversation(ctx, conversation.roomId, async () => {
    if (event.type === 'm.room.member') return onMembership(ctx, conversation, event);
    if (event.type !== 'm.room.message' || event.state_key !== undefined) return;
    if (event.sender === conversation.guest) return onGuestMessage(ctx, conversation, event);
    if (ctx.store.staff.has(event.sender)) return onStaffMessage(ctx, conversation, event);
  });
}
