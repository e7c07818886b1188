import { z } from 'zod';

/**
 * Every action the bot records in a force's audit chain (EventType.Audit) and the admin command line in its own
 * (EventType.AuditAdmin). The names are part of the record a verifier and an inspector read: they never change
 * meaning, and a new one is added here first.
 */
export const AUDIT_ACTIONS = [
  // intake and queue
  'open_and_queue',
  'claim',
  'duty_on',
  'duty_off',
  'requeue',
  'overflow',
  'transfer',
  'transfer_offer',
  'transfer_accept',
  'transfer_decline',
  'transfer_withdrawn',
  'flag_danger',
  'supervise',
  'read_closed',
  // closing
  'close',
  'abandon',
  'cool_down',
  'guest_ended',
  // grave danger
  'disclosure_request',
  'disclosure_decision',
  'disclosure_approve',
  'disclosure_refuse',
  'disclosure_expire',
  'disclosure_withdraw',
  'disclosure',
  // evidence, export, retention
  'evidence',
  'export',
  'export_removed',
  'legal_hold',
  'legal_hold_lift',
  'retention_set',
  'delete',
  // the admin command line's chain
  'staff_create',
  'staff_disable',
  'staff_supervisor',
  'staff_password_reset',
  'staff_enable',
] as const;
export const AuditAction = z.enum(AUDIT_ACTIONS);
export type AuditAction = z.infer<typeof AuditAction>;

/**
 * One link of an audit chain as stored: who did what to which conversation, when, and the hash of the link
 * before. Never message content. Strict: a record with any other key is not one the bot wrote, and its hash
 * (over the whole content, see the bot's audit/chain.ts) would not be the one the next link names.
 */
export const AuditRecord = z
  .object({
    actor: z.string().min(1),
    action: z.string().min(1),
    conversation: z.string().optional(),
    at: z.number(),
    /** Small, non-content facts: outcome code, target force, ticket. */
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    /** What any Matrix client shows: action, ticket, pseudonym and time in French (never content). Hashed too. */
    body: z.string().max(500).optional(),
    /** sha256 of the previous record of this chain (canonical JSON), or "genesis". */
    prev: z.string().min(1),
  })
  .strict();
export type AuditRecordContent = z.infer<typeof AuditRecord>;
