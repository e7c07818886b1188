import { describe, expect, it } from 'vitest';
import { readiness, SYNC_FAILURES_NOT_READY } from './readiness.ts';

const limits = { maxSyncAge: 90, maxAuditBacklog: 500 };
const now = 1_800_000_000_000;
const quiet = { police: 0, gendarmerie: 0 };

describe('readiness', () => {
  it('is ready while syncs answer and the audit outbox drains', () => {
    expect(
      readiness(
        {
          now,
          sync: { lastSuccessAt: now - 25_000, consecutiveFailures: 0 },
          auditBacklog: { police: 3, gendarmerie: 0 },
        },
        limits,
      ),
    ).toEqual({
      ready: true,
      reasons: [],
      syncAgeSeconds: 25,
      syncFailures: 0,
      auditBacklog: { police: 3, gendarmerie: 0 },
    });
  });

  it('is not ready before the sync loop exists', () => {
    expect(readiness({ now, sync: undefined, auditBacklog: quiet }, limits)).toMatchObject({
      ready: false,
      reasons: ['SYNC_NOT_STARTED'],
      syncAgeSeconds: null,
    });
  });

  it('fails when the last successful sync is older than the limit, not at the limit', () => {
    expect(
      readiness({ now, sync: { lastSuccessAt: now - 90_000, consecutiveFailures: 0 }, auditBacklog: quiet }, limits)
        .ready,
    ).toBe(true);
    expect(
      readiness({ now, sync: { lastSuccessAt: now - 90_001, consecutiveFailures: 0 }, auditBacklog: quiet }, limits),
    ).toMatchObject({ ready: false, reasons: ['SYNC_STALE'] });
  });

  it('fails at once when syncs fail in a row, and not for one lost request', () => {
    expect(
      readiness(
        {
          now,
          sync: { lastSuccessAt: now - 1000, consecutiveFailures: SYNC_FAILURES_NOT_READY - 1 },
          auditBacklog: quiet,
        },
        limits,
      ).ready,
    ).toBe(true);
    expect(
      readiness(
        { now, sync: { lastSuccessAt: now - 1000, consecutiveFailures: SYNC_FAILURES_NOT_READY }, auditBacklog: quiet },
        limits,
      ),
    ).toMatchObject({
      ready: false,
      reasons: ['SYNC_FAILING'],
      syncFailures: SYNC_FAILURES_NOT_READY,
    });
  });

  it('fails when one force has more audit entries waiting than the bound, and names every reason', () => {
    expect(
      readiness(
        { now, sync: { lastSuccessAt: now, consecutiveFailures: 0 }, auditBacklog: { police: 500, gendarmerie: 0 } },
        limits,
      ).ready,
    ).toBe(true);
    expect(
      readiness(
        {
          now,
          sync: { lastSuccessAt: now - 200_000, consecutiveFailures: 5 },
          auditBacklog: { police: 0, gendarmerie: 501 },
        },
        limits,
      ).reasons,
    ).toEqual(['SYNC_STALE', 'SYNC_FAILING', 'AUDIT_BACKLOG']);
  });
});
