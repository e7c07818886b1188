import { ContentKey, TriageProgress, parseContent } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import type { MessageContent } from '../triage/render.ts';

/** How far back a restart looks for the bot's latest reply (its own messages only; a triage has ~10). */
const LOOK_BACK = 50;

/**
 * The progress travels in the last message of a step: once that message is in the room, the step is committed.
 * A crash before it replays the answer, whose replies keep their transaction ids (nothing shown twice).
 */
export function withProgress(messages: MessageContent[], progress: TriageProgress): MessageContent[] {
  if (messages.length === 0) return messages;
  const last = messages[messages.length - 1]!;
  return [...messages.slice(0, -1), { ...last, [ContentKey.TriageProgress]: progress }];
}

/**
 * The latest triage progress of a room, read back at start: the newest of the bot's messages that carries one,
 * else the state event earlier versions wrote, else undefined (the first question was never sent).
 */
export async function readProgress(ctx: Context, roomId: string, legacy: unknown): Promise<TriageProgress | undefined> {
  const filter = JSON.stringify({ senders: [ctx.matrix.userId], types: ['m.room.message'] });
  const page = await ctx.matrix.messages(roomId, { dir: 'b', limit: LOOK_BACK, filter });
  for (const event of page.chunk) {
    if (!ctx.matrix.isOwn(event.sender) || event.content[ContentKey.TriageProgress] === undefined) continue;
    const parsed = parseContent(TriageProgress, event.content[ContentKey.TriageProgress]);
    if (parsed.ok) return parsed.value;
  }
  if (legacy === undefined) return undefined;
  const parsed = parseContent(TriageProgress, legacy);
  return parsed.ok ? parsed.value : undefined;
}
