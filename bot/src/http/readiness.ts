import type { Request, Response } from 'express';
import type { Force } from '@espace-mineurs/protocol';
import type { Context } from '../runtime/context.ts';
import type { SyncHealth } from '../matrix/sync.ts';

/** Why the bot is not ready: machine codes an orchestrator, a probe or an operator can act on. */
export type NotReadyReason = 'SYNC_NOT_STARTED' | 'SYNC_STALE' | 'SYNC_FAILING' | 'AUDIT_BACKLOG';

/**
 * Failed syncs in a row that make the bot not ready before its last success is old: a stopped homeserver is
 * seen within about a second (the loop retries after 0.2, 0.4, 0.8 s), one lost request is not.
 */
export const SYNC_FAILURES_NOT_READY = 3;

export interface ReadinessInput {
  now: number;
  sync: SyncHealth | undefined;
  auditBacklog: Record<Force, number>;
}

export interface ReadinessLimits {
  maxSyncAge: number;
  maxAuditBacklog: number;
}

export interface Readiness {
  ready: boolean;
  reasons: NotReadyReason[];
  /** Figures only: no identifier, token or address. */
  syncAgeSeconds: number | null;
  syncFailures: number;
  auditBacklog: Record<Force, number>;
}

export function readiness(input: ReadinessInput, limits: ReadinessLimits): Readiness {
  const reasons: NotReadyReason[] = [];
  const age = input.sync ? Math.max(0, (input.now - input.sync.lastSuccessAt) / 1000) : null;
  if (!input.sync) reasons.push('SYNC_NOT_STARTED');
  else {
    if (age! > limits.maxSyncAge) reasons.push('SYNC_STALE');
    if (input.sync.consecutiveFailures >= SYNC_FAILURES_NOT_READY) reasons.push('SYNC_FAILING');
  }
  if (Object.values(input.auditBacklog).some((count) => count > limits.maxAuditBacklog)) reasons.push('AUDIT_BACKLOG');
  return {
    ready: reasons.length === 0,
    reasons,
    syncAgeSeconds: age === null ? null : Math.round(age),
    syncFailures: input.sync?.consecutiveFailures ?? 0,
    auditBacklog: input.auditBacklog,
  };
}

/**
 * GET /readyz: 200 when the bot follows the homeserver and its audit entries reach the audit rooms, else 503
 * with the reasons. /healthz stays the liveness check (the process answers), so a homeserver outage makes the
 * bot unready without getting it restarted in a loop.
 */
export function readinessRoute(ctx: Context) {
  return (_request: Request, response: Response): void => {
    const result = readiness(
      { now: ctx.now(), sync: ctx.metrics.sync(), auditBacklog: ctx.audit.backlog() },
      ctx.config.readiness,
    );
    response.status(result.ready ? 200 : 503).json(result);
  };
}
