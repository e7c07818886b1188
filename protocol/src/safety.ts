import { z } from 'zod';
import { NS } from './events.ts';
import { Force } from './forces.ts';

/**
 * Records of the safety features (docs/safety-modules.md, docs/personal-data.md). All are written by the bot only
 * and trusted by sender, like every other bot record:
 * | type | kind | room | key |
 * | --- | --- | --- | --- |
 * | disclosure | state | force supervisors room | request id; also the structured part of the message in a disclosure room |
 * | legal_hold | state | force supervisors room | the young person's room id |
 * | retention | state | force supervisors room | the room id (a conversation's or a disclosure room's) |
 * | export | state | force supervisors room | export id |
 * | cool_down | state | force supervisors room | `guest:<user id>` |
 */
export const SafetyEventType = {
  Disclosure: `${NS}.disclosure`,
  LegalHold: `${NS}.legal_hold`,
  Retention: `${NS}.retention`,
  Export: `${NS}.export`,
  CoolDown: `${NS}.cool_down`,
} as const;

export const DisclosureStatus = z.enum(['pending', 'approved', 'refused', 'expired', 'withdrawn']);
export type DisclosureStatus = z.infer<typeof DisclosureStatus>;

/** A request to lift a young person's anonymity in grave danger, and what became of it. */
export const DisclosureRequest = z.object({
  id: z.string().min(1).max(255),
  conversation: z.string().min(1),
  /** The force holding the conversation: only its supervisors decide. */
  force: Force,
  requester: z.string().min(1),
  /** Emptied once the conversation is deleted (`scrubbedAt`). */
  reason: z.string(),
  requestedAt: z.number(),
  expiresAt: z.number(),
  status: DisclosureStatus,
  decidedBy: z.string().optional(),
  decidedAt: z.number().optional(),
  refusalReason: z.string().optional(),
  /** The private room the disclosure was posted in, once approved. */
  disclosureRoom: z.string().optional(),
  disclosedAt: z.number().optional(),
  disclosureRoomDeletedAt: z.number().optional(),
  scrubbedAt: z.number().optional(),
});
export type DisclosureRequest = z.infer<typeof DisclosureRequest>;

export const Connection = z.object({
  ip: z.string(),
  userAgent: z.string(),
  /** ms since the epoch */ lastSeen: z.number(),
});
export type Connection = z.infer<typeof Connection>;

/** What the bot discloses in a disclosure room (the structured part of its message, under the disclosure type). */
export const DisclosedData = z.object({
  request: z.string(),
  conversation: z.string(),
  guest: z.string().optional(),
  connections: z.array(Connection),
  postalCode: z.string().optional(),
  triage: z.string().optional(),
  inDanger: z.boolean().optional(),
  gatheredAt: z.number(),
});
export type DisclosedData = z.infer<typeof DisclosedData>;

/** A supervisor's legal hold: while active, the conversation's room is never deleted. */
export const LegalHold = z.object({
  active: z.boolean(),
  /** Emptied once the conversation is deleted (`scrubbedAt`). */
  reason: z.string(),
  by: z.string(),
  at: z.number(),
  liftedBy: z.string().optional(),
  liftedAt: z.number().optional(),
  scrubbedAt: z.number().optional(),
});
export type LegalHold = z.infer<typeof LegalHold>;

/** When a room's retention clock started, its period, when it was deleted and when its traces were removed. */
export const RetentionRecord = z.object({
  closedAt: z.number(),
  periodMs: z.number(),
  deletedAt: z.number().optional(),
  deleteId: z.string().optional(),
  scrubbedAt: z.number().optional(),
});
export type RetentionRecord = z.infer<typeof RetentionRecord>;

/** An export posted as two files in the supervisors room, until it is taken back (`removedAt`). */
export const ExportRecord = z.object({
  id: z.string().min(1).max(255),
  conversation: z.string().min(1),
  force: Force,
  by: z.string(),
  at: z.number(),
  documentSha256: z.string(),
  files: z.array(z.object({ eventId: z.string(), mxc: z.string() })),
  removedAt: z.number().optional(),
});
export type ExportRecord = z.infer<typeof ExportRecord>;

/**
 * An agent's "close and cool down": no new conversation from this guest nor from these addresses until `until`.
 * Emptied (`{}`) once it is over; an empty or damaged record is no cool-down.
 */
export const CoolDown = z.object({
  guest: z.string().min(1),
  conversation: z.string().min(1),
  force: Force,
  by: z.string(),
  at: z.number(),
  until: z.number(),
  /** sha256 (hex) of the address the bot's API saw when this guest opened its conversation. */
  addresses: z.array(z.string().regex(/^[0-9a-f]{64}$/)),
});
export type CoolDown = z.infer<typeof CoolDown>;
