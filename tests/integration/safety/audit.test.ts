import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EventType, FORCES } from '@espace-mineurs/protocol';
import { AuditLog, hashRecord, type AuditRecord } from '../../../bot/src/audit/audit-log.ts';
import { KeyedQueue } from '../../../bot/src/runtime/locks.ts';
import { Matrix } from '../../../bot/src/matrix/client.ts';
import { AuditMirror, mirrorChain, readMirror } from '../../../bot/src/audit/mirror.ts';
import { compareWithMirror, readAuditRoom, verifyChain } from '../../../bot/src/audit/verify.ts';
import { loginDemo } from '../../support/matrix.ts';
import { send } from '../../support/conversation.ts';
import { botHomeserver, createAuditLikeRoom, stack } from './support.ts';

describe('audit chain against the real Synapse', () => {
  it('verifies entries written by the real AuditLog, and names the first broken link after tampering', async () => {
    const hs = botHomeserver();
    const supervisor = await loginDemo('pn-superviseur-1');
    const rooms = {
      police: await createAuditLikeRoom(hs, [supervisor.userId]),
      gendarmerie: await createAuditLikeRoom(hs),
    };
    const matrix = new Matrix(stack().baseUrl, stack().bot.accessToken, stack().bot.userId);
    const audit = new AuditLog(matrix, rooms, new KeyedQueue());
    await audit.load();
    // 130 entries: more than one /messages page of AuditLog.load (100), so pagination is exercised.
    const count = 130;
    for (let index = 0; index < count; index++) {
      await audit.write(index === 0 ? FORCES : ['police'], `test-${process.pid}-${index}`, {
        actor: '@pn-agent-1:test',
        action: index % 3 === 0 ? 'claim' : 'close',
        conversation: `!conv${index}:test`,
        at: Date.now(),
        details: { n: index },
      });
    }
    // A replayed write (same cause) adds nothing and does not move the head.
    await audit.write(['police'], `test-${process.pid}-5`, {
      actor: '@pn-agent-1:test',
      action: 'close',
      at: Date.now(),
    });

    const room = await readAuditRoom(hs, rooms.police);
    expect(room).toHaveLength(count);
    expect(verifyChain(room, { trustedSender: hs.userId })).toMatchObject({ ok: true, count });
    expect(verifyChain(await readAuditRoom(hs, rooms.gendarmerie), { trustedSender: hs.userId })).toMatchObject({
      ok: true,
      count: 1,
    });

    // A fresh AuditLog (a restarted bot) continues the same chain.
    const restarted = new AuditLog(matrix, rooms, new KeyedQueue());
    await restarted.load();
    await restarted.write(['police'], `test-${process.pid}-after-restart`, {
      actor: '@pn-superviseur-1:test',
      action: 'export',
      at: Date.now(),
    });
    const continued = await readAuditRoom(hs, rooms.police);
    expect(verifyChain(continued, { trustedSender: hs.userId })).toMatchObject({ ok: true, count: count + 1 });

    // Mirror: catch up from the room, then verify both and compare.
    const dir = mkdtempSync(join(tmpdir(), 'audit-mirror-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'police.jsonl');
    const mirror = new AuditMirror(file);
    expect(await mirror.catchUp('police', continued)).toBe(count + 1);
    expect(await mirror.catchUp('police', continued)).toBe(0);
    const mirrored = mirrorChain(await readMirror(file), 'police');
    expect(verifyChain(mirrored, { trustedSender: hs.userId }).ok).toBe(true);
    expect(compareWithMirror(continued, mirrored)).toBeUndefined();

    // Tampering with the mirror: a modified copy of entry 42.
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const line = JSON.parse(lines[42]!) as { record: AuditRecord };
    line.record.actor = '@pn-agent-2:test';
    lines[42] = JSON.stringify(line);
    writeFileSync(file, lines.join('\n') + '\n');
    const tampered = mirrorChain(await readMirror(file), 'police');
    const report = verifyChain(tampered, { trustedSender: hs.userId });
    expect(report.ok).toBe(false);
    expect(report.firstBreak).toMatchObject({
      index: 43,
      eventId: continued[43]!.eventId,
      kind: 'prev_mismatch',
      expected: hashRecord(line.record),
      found: hashRecord(continued[42]!.record as AuditRecord),
    });
    expect(compareWithMirror(continued, tampered)).toEqual({
      kind: 'modified',
      index: 42,
      eventId: continued[42]!.eventId,
    });

    // On Matrix only the bot writes in an audit room: a supervisor's forged entry is refused by power levels.
    await expect(
      send(supervisor, rooms.police, EventType.Audit, {
        actor: supervisor.userId,
        action: 'close',
        at: 1,
        prev: 'genesis',
      }),
    ).rejects.toThrow(/403/);
    // A server admin could still forge or edit events in the database: simulated on what the room would serve.
    const forged = continued.map((item, index) =>
      index === 100 ? { ...item, record: { ...(item.record as AuditRecord), details: { n: 999 } } } : item,
    );
    expect(verifyChain(forged, { trustedSender: hs.userId }).firstBreak).toMatchObject({
      index: 101,
      kind: 'prev_mismatch',
    });
    const foreign = continued.map((item, index) => (index === 7 ? { ...item, sender: supervisor.userId } : item));
    expect(verifyChain(foreign, { trustedSender: hs.userId }).firstBreak).toMatchObject({
      index: 7,
      kind: 'foreign_sender',
    });
  });

  it("the test stack's own force audit rooms, written by the running bot, verify", async () => {
    const hs = botHomeserver();
    for (const force of FORCES) {
      const room = await readAuditRoom(hs, stack().forces[force].auditRoomId);
      const report = verifyChain(room, { trustedSender: hs.userId });
      expect(report.firstBreak, `${force}: ${JSON.stringify(report.firstBreak)}`).toBeUndefined();
    }
  });
});
