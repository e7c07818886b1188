import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CONVERSATION_STATES, FORCES, type Force } from '@espace-mineurs/protocol';
import type { SyncHealth } from './matrix/sync.ts';
import type { Store } from './state/store.ts';

/** What intake looks like now: the room pool and the openings admitted or waiting (intake/pool.ts, admission.ts). */
export interface IntakeHealth {
  poolReady: number;
  poolTarget: number;
  openingsRunning: number;
  openingsWaiting: number;
}

const WAIT_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];

/**
 * Prometheus metrics. Gauges are computed from the store when scraped, so they can never drift. The alert rules
 * in deploy/prometheus/alerts.yml read these names: rename one there too.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly waitSeconds: Histogram;
  readonly firstAgentMessageSeconds: Histogram;
  readonly handledEvents: Counter;
  readonly handlerFailures: Counter;
  private readonly retentionFailures: Counter;
  private readonly retentionSucceededAt: Gauge;
  private syncHealth: (() => SyncHealth) | undefined;
  private intakeHealth: (() => IntakeHealth) | undefined;
  private readonly openings: Counter;

  constructor(
    store: Store,
    auditBacklog: () => Record<Force, number> = () => ({ police: 0, gendarmerie: 0 }),
    now: () => number = Date.now,
  ) {
    // prom-client calls collect() with the gauge as `this`: read the health through a closure.
    const syncHealth = () => this.syncHealth?.();
    const intake = () => this.intakeHealth?.();
    collectDefaultMetrics({ register: this.registry, prefix: 'espace_bot_' });
    this.waitSeconds = new Histogram({
      name: 'espace_queue_wait_seconds',
      help: 'Time from entering a queue to being claimed, per force',
      labelNames: ['force'],
      buckets: WAIT_BUCKETS,
      registers: [this.registry],
    });
    this.firstAgentMessageSeconds = new Histogram({
      name: 'espace_first_agent_message_seconds',
      help: 'Time from the conversation opening to the first agent message',
      labelNames: ['force'],
      buckets: WAIT_BUCKETS,
      registers: [this.registry],
    });
    this.handledEvents = new Counter({
      name: 'espace_events_handled_total',
      help: 'Matrix events handled',
      registers: [this.registry],
    });
    this.handlerFailures = new Counter({
      name: 'espace_handler_failures_total',
      help: 'Events whose handler failed after retries',
      registers: [this.registry],
    });
    new Gauge({
      name: 'espace_queue_length',
      help: 'Conversations waiting, per force',
      labelNames: ['force'],
      registers: [this.registry],
      collect() {
        for (const force of FORCES) this.set({ force }, store.queued(force).length);
      },
    });
    new Gauge({
      name: 'espace_conversations',
      help: 'Conversations known to the bot, per state',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const counts = store.countByState();
        for (const state of CONVERSATION_STATES) this.set({ state }, counts[state]);
      },
    });
    new Gauge({
      name: 'espace_agents_on_duty',
      help: 'Agents on duty, per force',
      labelNames: ['force'],
      registers: [this.registry],
      collect() {
        for (const force of FORCES) this.set({ force }, store.agentsOnDuty(force).length);
      },
    });
    new Gauge({
      name: 'espace_audit_backlog',
      help: 'Audit entries written (durably, in the outbox) but not yet in the audit room, per force',
      labelNames: ['force'],
      registers: [this.registry],
      collect() {
        const backlog = auditBacklog();
        for (const force of FORCES) this.set({ force }, backlog[force]);
      },
    });
    new Gauge({
      name: 'espace_queue_oldest_wait_seconds',
      help: 'How long the longest-waiting conversation of each force has waited since it was first queued (0 when none waits)',
      labelNames: ['force'],
      registers: [this.registry],
      collect() {
        const at = now();
        for (const force of FORCES) {
          const oldest = Math.min(...store.queued(force).map((conversation) => conversation.entry.queuedAt), at);
          this.set({ force }, Math.max(0, (at - oldest) / 1000));
        }
      },
    });
    new Gauge({
      name: 'espace_sync_last_success_timestamp_seconds',
      help: "When the homeserver last answered the bot's sync (Unix time)",
      registers: [this.registry],
      collect() {
        const health = syncHealth();
        if (health) this.set(health.lastSuccessAt / 1000);
      },
    });
    new Gauge({
      name: 'espace_sync_age_seconds',
      help: "Seconds since the homeserver last answered the bot's sync (up to 25 s is a normal long poll)",
      registers: [this.registry],
      collect() {
        const health = syncHealth();
        if (health) this.set(Math.max(0, (now() - health.lastSuccessAt) / 1000));
      },
    });
    new Gauge({
      name: 'espace_sync_consecutive_failures',
      help: 'Syncs failed in a row (0 while the homeserver answers)',
      registers: [this.registry],
      collect() {
        const health = syncHealth();
        if (health) this.set(health.consecutiveFailures);
      },
    });
    // Sizing the room pool and the admission limit (ESPACE_ROOM_POOL_SIZE, ESPACE_ADMISSION_CONCURRENCY): openings
    // served from the pool are one state event and an invite; those created on demand cost a whole room.
    this.openings = new Counter({
      name: 'espace_openings_total',
      help: 'Conversations opened, by where their room came from (pooled: made ahead of demand; created: on demand)',
      labelNames: ['room'],
      registers: [this.registry],
    });
    for (const room of ['pooled', 'created']) this.openings.inc({ room }, 0);
    new Gauge({
      name: 'espace_room_pool_ready',
      help: "Young people's rooms made ahead of demand and ready to be given",
      registers: [this.registry],
      collect() {
        const health = intake();
        if (health) this.set(health.poolReady);
      },
    });
    new Gauge({
      name: 'espace_room_pool_target',
      help: 'How many ready rooms the pool keeps when nobody is arriving',
      registers: [this.registry],
      collect() {
        const health = intake();
        if (health) this.set(health.poolTarget);
      },
    });
    new Gauge({
      name: 'espace_openings_in_progress',
      help: 'Openings being served now, and waiting for their turn (admission in arrival order)',
      labelNames: ['phase'],
      registers: [this.registry],
      collect() {
        const health = intake();
        if (!health) return;
        this.set({ phase: 'running' }, health.openingsRunning);
        this.set({ phase: 'waiting' }, health.openingsWaiting);
      },
    });
    this.retentionFailures = new Counter({
      name: 'espace_retention_sweep_failures_total',
      help: 'Retention sweeps that failed, or left a conversation, disclosure room or export they should have deleted',
      registers: [this.registry],
    });
    this.retentionSucceededAt = new Gauge({
      name: 'espace_retention_last_success_timestamp_seconds',
      help: 'When a retention sweep last completed with nothing left undone (Unix time; 0 until the first one)',
      registers: [this.registry],
    });
    this.retentionSucceededAt.set(0);
  }

  /** The sync loop, once it exists (it is created after the context that holds these metrics). */
  watchSync(health: () => SyncHealth): void {
    this.syncHealth = health;
  }

  /** The room pool and the admission, once they exist (they are created with the context). */
  watchIntake(health: () => IntakeHealth): void {
    this.intakeHealth = health;
  }

  /** A conversation was opened, in a pooled room or in one created for it. */
  recordOpening(pooled: boolean): void {
    this.openings.inc({ room: pooled ? 'pooled' : 'created' });
  }

  sync(): SyncHealth | undefined {
    return this.syncHealth?.();
  }

  /** One retention sweep ended: `failures` items it could not delete (or 1 when it failed as a whole). */
  recordRetentionSweep(failures: number, at: number): void {
    if (failures > 0) this.retentionFailures.inc();
    else this.retentionSucceededAt.set(at / 1000);
  }
}
