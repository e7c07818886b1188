import { ContentKey, EventType, TriageAnswerContent, parseContent } from '@espace-mineurs/protocol';
import { enqueue } from '../queue/enqueue.ts';
import { say } from '../conversation/messages.ts';
import { writeStatus } from '../conversation/status.ts';
import type { Context } from '../runtime/context.ts';
import type { RawEvent } from '../matrix/client.ts';
import type { Conversation } from '../state/store.ts';
import { crashPoint } from '../runtime/fault.ts';
import { answerTriage } from '../triage/machine.ts';
import { repliesContent } from '../triage/render.ts';

const HANDLED_KEPT = 20;

/**
 * A young person's message during triage. Replies carry transaction ids derived from the answer's event id and
 * the progress is written last, with the answer's id in `handled`: replayed after a crash, the same answer
 * produces the same (deduplicated) replies, and once recorded it is skipped.
 */
export async function handleTriageAnswer(ctx: Context, conversation: Conversation, event: RawEvent): Promise<void> {
  const progress = conversation.triage;
  if (!progress || progress.done || progress.handled.includes(event.event_id)) return;
  const body = typeof event.content.body === 'string' ? event.content.body : '';
  const rawPayload = event.content[ContentKey.TriageAnswer];
  const payload = rawPayload === undefined ? undefined : parseContent(TriageAnswerContent, rawPayload);
  const step = answerTriage(ctx.triage, progress, { body, ...(payload?.ok ? { payload: payload.value } : {}) });
  for (const [index, content] of repliesContent(ctx.triage, step.replies).entries()) {
    await say(ctx, conversation.roomId, content, event.event_id, 'triage', String(index));
  }
  crashPoint('triage-after-replies');
  if (step.progress.done) await enqueue(ctx, conversation, event.event_id, event.origin_server_ts, step.progress);
  const next = { ...step.progress, handled: [...progress.handled, event.event_id].slice(-HANDLED_KEPT) };
  // Once queued, the entry is the record (and a replay finds it): the final progress need not be written.
  if (!(next.done && conversation.entry)) await ctx.matrix.putState(conversation.roomId, EventType.Triage, '', next);
  conversation.triage = next;
  if (!conversation.entry) await writeStatus(ctx, conversation, ctx.now());
}
