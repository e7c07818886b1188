import { describe, expect, it } from 'vitest';
import type { ConversationEntry } from '@espace-mineurs/protocol';
import { Metrics } from './metrics.ts';
import { Store, type Conversation } from './state/store.ts';

const rooms = (prefix: string) => ({
  spaceId: `!${prefix}-space:t`,
  queueRoomId: `!${prefix}-queue:t`,
  supervisorsRoomId: `!${prefix}-sup:t`,
  auditRoomId: `!${prefix}-audit:t`,
});

function queued(roomId: string, entry: Partial<ConversationEntry>): Conversation {
  return {
    roomId,
    guest: `@g-${roomId}:t`,
    createdAt: 1,
    triage: undefined,
    status: undefined,
    lastGuestActivity: 1,
    entry: {
      roomId,
      ticket: 1,
      state: 'queued',
      force: 'police',
      priority: 'normal',
      createdAt: 1,
      ...entry,
    } as ConversationEntry,
  };
}

async function values(metrics: Metrics, name: string, label = 'force'): Promise<Record<string, number>> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((candidate) => candidate.name === name);
  if (!metric) throw new Error(`no metric ${name}`);
  return Object.fromEntries(metric.values.map((value) => [String(value.labels[label] ?? ''), value.value]));
}

describe('Metrics', () => {
  const now = 1_000_000;

  it('gives the wait of the oldest queued conversation per force, urgent or not, and 0 when none waits', async () => {
    const store = new Store({ police: rooms('p'), gendarmerie: rooms('g') });
    store.add(queued('!a:t', { queuedAt: now - 30_000 }));
    store.add(queued('!b:t', { queuedAt: now - 5_000, priority: 'urgent' }));
    store.add(queued('!c:t', { queuedAt: now - 900_000, state: 'assigned' }));
    const metrics = new Metrics(store, undefined, () => now);
    expect(await values(metrics, 'espace_queue_oldest_wait_seconds')).toEqual({ police: 30, gendarmerie: 0 });
  });

  it('exports the health of the sync loop it watches', async () => {
    const metrics = new Metrics(new Store({ police: rooms('p'), gendarmerie: rooms('g') }), undefined, () => now);
    metrics.watchSync(() => ({ lastSuccessAt: now - 12_000, consecutiveFailures: 2 }));
    expect(await values(metrics, 'espace_sync_age_seconds')).toEqual({ '': 12 });
    expect(await values(metrics, 'espace_sync_consecutive_failures')).toEqual({ '': 2 });
    expect(await values(metrics, 'espace_sync_last_success_timestamp_seconds')).toEqual({ '': (now - 12_000) / 1000 });
  });

  it('counts failed retention sweeps and keeps the time of the last complete one', async () => {
    const metrics = new Metrics(new Store({ police: rooms('p'), gendarmerie: rooms('g') }));
    expect(await values(metrics, 'espace_retention_last_success_timestamp_seconds')).toEqual({ '': 0 });
    metrics.recordRetentionSweep(0, 50_000);
    metrics.recordRetentionSweep(3, 60_000);
    expect(await values(metrics, 'espace_retention_sweep_failures_total')).toEqual({ '': 1 });
    expect(await values(metrics, 'espace_retention_last_success_timestamp_seconds')).toEqual({ '': 50 });
  });

  it('shows the room pool and the openings, to size ESPACE_ROOM_POOL_SIZE and ESPACE_ADMISSION_CONCURRENCY', async () => {
    const metrics = new Metrics(new Store({ police: rooms('p'), gendarmerie: rooms('g') }));
    expect(await values(metrics, 'espace_openings_total', 'room')).toEqual({ pooled: 0, created: 0 });
    metrics.watchIntake(() => ({ poolReady: 7, poolTarget: 50, openingsRunning: 4, openingsWaiting: 11 }));
    metrics.recordOpening(true);
    metrics.recordOpening(true);
    metrics.recordOpening(false);
    expect(await values(metrics, 'espace_openings_total', 'room')).toEqual({ pooled: 2, created: 1 });
    expect(await values(metrics, 'espace_room_pool_ready')).toEqual({ '': 7 });
    expect(await values(metrics, 'espace_room_pool_target')).toEqual({ '': 50 });
    expect(await values(metrics, 'espace_openings_in_progress', 'phase')).toEqual({ running: 4, waiting: 11 });
  });
});
