import type { ConversationEntry, Force } from '@espace-mineurs/protocol';

export interface Guest {
  userId: string;
  accessToken: string;
}

/** What the young person's side looked like before queueing, in words the triage understands. */
export interface ConversationSpec {
  force: Force;
  what: 'violences-physiques' | 'harcelement' | 'sextorsion' | 'addiction';
  urgent?: boolean;
  /** Messages the young person writes once queued (hostile payloads go here). */
  firstWords?: string[];
}

/** The conversation engine as the agent client's browser tests drive it: the real bot (real-engine.ts). */
export interface Engine {
  openConversation(spec: ConversationSpec): Promise<{ guest: Guest; entry: ConversationEntry }>;
  guestSays(guest: Guest, roomId: string, body: string): Promise<void>;
  /** The young person leaves as the site's quick exit does: a beacon to the bot, the guest token as its body. */
  guestLeaves(guest: Guest): Promise<void>;
  stop(): Promise<void>;
}
