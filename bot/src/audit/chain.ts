import { createHash } from 'node:crypto';
import type { AuditAction, AuditRecordContent } from '@espace-mineurs/protocol';

/*
 * The audit chain's records and their hash: pure, shared by the log that writes the chain, the verifier, the
 * mirror and the command line's own chain.
 */

/** One audit entry: who did what to which conversation, when. Never message content. */
export interface AuditEntry {
  actor: string;
  action: AuditAction;
  conversation?: string;
  at: number;
  /** Small, non-content facts: outcome code, target force, ticket. */
  details?: Record<string, string | number | boolean>;
  /** A short plain sentence for Matrix clients (audit/body.ts): action, ticket, pseudonym, time; no content. */
  body?: string;
}

export interface AuditRecord extends AuditEntry {
  /** sha256 of the previous record of this force's chain (canonical JSON), or "genesis". */
  prev: string;
}

/** Canonical JSON (sorted keys), so a verifier recomputes the same hash from what Matrix serves. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The hash of a record as written (`AuditRecord`) or as read back and validated (`AuditRecordContent`). */
export function hashRecord(record: AuditRecord | AuditRecordContent): string {
  return createHash('sha256').update(canonicalJson(record)).digest('hex');
}
