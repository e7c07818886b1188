import { createHash } from 'node:crypto';
import { ContentKey, type CommandRefusalCode, type Force, type StaffRole } from '@espace-mineurs/protocol';
import type { AuditEntry } from '../audit/chain.ts';

/** What the safety modules need of the audit log: the bot's `AuditLog` satisfies it. */
export interface Auditor {
  write(forces: readonly Force[], cause: string, entry: AuditEntry): Promise<void>;
}

export interface StaffMember {
  force: Force;
  role: StaffRole;
  active: boolean;
}

/** Who a user is among staff (the bot: `ctx.store.staff.get(userId)`), undefined for anyone else. */
export type StaffLookup = (userId: string) => StaffMember | undefined;

/**
 * Codes of the safety operations: those a command can answer with (the protocol's list), and those only the
 * admin command line and the sweeps meet.
 */
export type SafetyErrorCode =
  | CommandRefusalCode
  | 'LEGAL_HOLD'
  | 'NOT_A_GUEST'
  | 'NOT_APPROVED'
  | 'PURGE_FAILED'
  | 'PURGE_TIMEOUT'
  | 'ROOM_STILL_PRESENT';

/** A refusal with a machine code (mapped by callers to a command result or an HTTP status) and French text. */
export class SafetyError extends Error {
  readonly code: SafetyErrorCode;

  constructor(code: SafetyErrorCode, message: string) {
    super(message);
    this.name = 'SafetyError';
    this.code = code;
  }
}

export const SECOND = 1000;
export const DAY = 24 * 3600 * SECOND;

/** Parses "90d", "12h", "30m", "5s" or a number of milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = { ms: 1, s: SECOND, m: 60 * SECOND, h: 3600 * SECOND, d: DAY }[
    (match[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h' | 'd'
  ];
  return value * unit;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Key in m.image content carrying an evidence image's hashes, so agents, the export and any client see them. */
export const EVIDENCE_CONTENT_KEY = ContentKey.Evidence;
