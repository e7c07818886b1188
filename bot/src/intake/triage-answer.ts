import { ContentKey, TriageAnswerContent, parseContent } from '@espace-mineurs/protocol';
import { enqueue } from '../queue/enqueue.ts';
import { say } from '../conversation/messages.ts';
import type { Context } from '../runtime/context.ts';
import type { RawEvent } from '../matrix/client.ts';
import type { Conversation } from '../state/store.ts';
import { crashPoint } from '../runtime/fault.ts';
import { answerTriage } from '../triage/machine.ts';
import { repliesContent } from '../triage/render.ts';
import { withProgress } from './progress.ts';

const HANDLED_KEPT = 20;

/**
 * A young person's message during triage. Replies carry transaction ids derived from the answer's event id, and
 * the last one carries the progress with the answer's id in `handled`: that reply is the commit (no state event
 * per answer). Replayed after a crash before it, the same answer produces the same (deduplicated) replies; once
 * it is in the room, a restart reads it back (intake/progress.ts) and the answer is skipped. The last answer's
 * replies carry no progress: queueing's entry is that step's commit, and a crash before it replays the answer.
 */
export async function handleTriageAnswer(ctx: Context, conversation: Conversation, event: RawEvent): Promise<void> {
  const progress = conversation.triage;
  if (!progress || progress.done || progress.handled.includes(event.event_id)) return;
  const body = typeof event.content.body === 'string' ? event.content.body : '';
  const rawPayload = event.content[ContentKey.TriageAnswer];
  const payload = rawPayload === undefined ? undefined : parseContent(TriageAnswerContent, rawPayload);
  const step = answerTriage(ctx.triage, progress, { body, ...(payload?.ok ? { payload: payload.value } : {}) });
  const next = { ...step.progress, handled: [...progress.handled, event.event_id].slice(-HANDLED_KEPT) };
  const replies = repliesContent(ctx.triage, step.replies);
  const messages = next.done ? replies : withProgress(replies, next);
  for (const [index, content] of messages.entries()) {
    if (index === messages.length - 1) crashPoint('triage-before-last-reply');
    await say(ctx, conversation.roomId, content, event.event_id, 'triage', String(index));
  }
  crashPoint('triage-after-replies');
  if (next.done) await enqueue(ctx, conversation, event.event_id, event.origin_server_ts, next);
  conversation.triage = next;
}
