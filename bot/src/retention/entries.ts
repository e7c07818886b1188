import { ConversationEntry, EventType, FORCES, parseContent, type Force } from '@espace-mineurs/protocol';
import { roomStateOf, sentByBot, type Homeserver } from '../matrix/homeserver.ts';
import type { RetentionCandidate } from './purge.ts';

/**
 * Every conversation entry the bot wrote in the forces' queue rooms (the agents-side source of truth), one per
 * conversation: the live one, not the pointer a force keeps after a move. Federated, a force's entries are written
 * by the bot's account on that force's server (`sentByBot`).
 */
export async function readConversationEntries(
  hs: Homeserver,
  queueRooms: Record<Force, string>,
): Promise<ConversationEntry[]> {
  const entries = new Map<string, ConversationEntry>();
  for (const force of FORCES) {
    const state = await roomStateOf(hs, queueRooms[force]);
    for (const event of state) {
      if (event.type !== EventType.Conversation || !sentByBot(hs, event.sender) || !event.state_key) continue;
      const parsed = parseContent(ConversationEntry, event.content);
      if (!parsed.ok) continue;
      const known = entries.get(event.state_key);
      if (!known || (known.movedTo && !parsed.value.movedTo)) entries.set(event.state_key, parsed.value);
    }
  }
  return [...entries.values()];
}

export function retentionCandidates(entries: readonly ConversationEntry[]): RetentionCandidate[] {
  return entries.map((entry) => ({
    roomId: entry.roomId,
    force: entry.force,
    state: entry.state,
    ...(entry.closedAt !== undefined ? { closedAt: entry.closedAt } : {}),
  }));
}
