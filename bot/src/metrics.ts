import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CONVERSATION_STATES, FORCES, type Force } from '@espace-mineurs/protocol';
import type { Store } from './state/store.ts';

const WAIT_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];

/** Prometheus metrics. Gauges are computed from the store when scraped, so they can never drift. */
export class Metrics {
  readonly registry = new Registry();
  readonly waitSeconds: Histogram;
  readonly firstAgentMessageSeconds: Histogram;
  readonly handledEvents: Counter;
  readonly handlerFailures: Counter;

  constructor(store: Store, auditBacklog: () => Record<Force, number> = () => ({ police: 0, gendarmerie: 0 })) {
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
    this.handledEvents = new Counter({ name: 'espace_events_handled_total', help: 'Matrix events handled', registers: [this.registry] });
    this.handlerFailures = new Counter({ name: 'espace_handler_failures_total', help: 'Events whose handler failed after retries', registers: [this.registry] });
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
  }
}
