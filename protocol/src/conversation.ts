import { z } from 'zod';
import { Force } from './forces.ts';
import { CONVERSATION_STATES } from './names.ts';

export { CONVERSATION_STATES } from './names.ts';
export const ConversationState = z.enum(CONVERSATION_STATES);
export type ConversationState = z.infer<typeof ConversationState>;

/**
 * What the young person may see about their own conversation: the `status` state event in their room, and the
 * body of GET /api/conversations/current. Never an agent's identity, a note or a risk assessment.
 */
export const PublicStatus = z.object({
  state: ConversationState,
  force: Force.optional(),
  /** 1 = next. Present while queued. */
  position: z.number().int().min(1).optional(),
  estimatedWaitSeconds: z.number().int().min(0).optional(),
  agentJoined: z.boolean(),
  /** The pseudonym of the agent who is coming or talking; never a real name. */
  agentPseudonym: z.string().max(40).optional(),
  updatedAt: z.number().int(),
});
export type PublicStatus = z.infer<typeof PublicStatus>;

/** Orientation codes recorded when an agent closes a conversation. */
export const OUTCOMES = ['complaint', '119', '3018', 'school', 'health', 'emergency_services', 'none'] as const;
export const Outcome = z.enum(OUTCOMES);
export type Outcome = z.infer<typeof Outcome>;

/**
 * EventType.ConversationRoom content: which guest a young person's room serves, and the answers they chose on
 * the site before the triage (option ids), so a restart before the first question still skips those questions.
 */
export const ConversationRoomContent = z.object({
  guest: z.string().regex(/^@[^:]+:.+$/),
  createdAt: z.number().int(),
  preset: z.record(z.string().max(64), z.string().max(64)).optional(),
});
export type ConversationRoomContent = z.infer<typeof ConversationRoomContent>;
