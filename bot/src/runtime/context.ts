import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.ts';
import type { BotConfig } from '../config.ts';
import type { KeyedQueue } from './locks.ts';
import type { Matrix } from '../matrix/client.ts';
import type { Metrics } from '../metrics.ts';
import type { RoutingRules } from '../routing/rules.ts';
import type { Store } from '../state/store.ts';
import type { TriageDefinition } from '../triage/definition.ts';
import type { Admission } from '../intake/admission.ts';
import type { Force } from '@espace-mineurs/protocol';
import type { RoomPool } from '../intake/pool.ts';
import type { Deps } from './deps.ts';
import type { StaffLookup } from './safety.ts';

/**
 * Everything a handler needs, built once by start(). It is a `Deps` (runtime/deps.ts), so a handler hands `ctx`
 * itself to any feature taking `Pick<Deps, …>`.
 */
export interface Context extends Deps {
  config: BotConfig;
  matrix: Matrix;
  store: Store;
  triage: TriageDefinition;
  rules: RoutingRules;
  audit: AuditLog;
  /** Who a user is among staff: `store.staff`, read at each call. */
  staff: StaffLookup;
  metrics: Metrics;
  locks: KeyedQueue;
  /** Openings in arrival order, a few at once. */
  admission: Admission;
  /** Young people's rooms made ahead of demand. */
  pool: RoomPool;
  log: Logger;
  /**
   * The federated topology (docs/architecture.md, "Federated topology"), absent on a single server: `matrix`
   * then dispatches each request to the server holding what it names (federation/matrix.ts).
   */
  federation?: { publicServer: string; forceServers: Record<Force, string> };
  now(): number;
}

/** The lock of one conversation: every change to its entry or status runs under it. */
export function withConversation<T>(ctx: Context, roomId: string, task: () => Promise<T>): Promise<T> {
  return ctx.locks.run(`conversation:${roomId}`, task);
}
