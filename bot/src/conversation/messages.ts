import type { Force } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import { stableTxnId } from '../matrix/client.ts';
import { serviceMessage, type MessageContent } from '../triage/render.ts';

/** Sends a message whose transaction id comes from its cause, so a replay never shows it twice. */
export function say(ctx: Context, roomId: string, content: MessageContent, ...cause: string[]): Promise<string> {
  return ctx.matrix.send(roomId, 'm.room.message', content, stableTxnId('msg', roomId, ...cause));
}

/** A notice in a force's queue room, readable in Element. */
export function notifyQueue(ctx: Context, force: Force, body: string, ...cause: string[]): Promise<string> {
  const roomId = ctx.store.forces[force].queueRoomId;
  return ctx.matrix.send(
    roomId,
    'm.room.message',
    { msgtype: 'm.notice', body },
    stableTxnId('queue', roomId, ...cause),
  );
}

export { serviceMessage };
