import { createHash } from 'node:crypto';
import { ContentKey } from '@espace-mineurs/protocol';
import { stableTxnId } from '../matrix/client.ts';
import { exportConversation, renderExportHtml } from './export.ts';
import { deleteLocalMedia } from '../matrix/admin.ts';
import { roomEvent } from '../matrix/homeserver.ts';
import { saveExportRecord, type ExportFile } from './record.ts';
import { UNREAD_GUEST } from '../state/store.ts';
import { UNKNOWN, conversationOf, type CommandOutcome, type Invocation } from '../commands/types.ts';

/**
 * Supervisors: export a conversation for a judicial procedure. The JSON and the readable document are
 * uploaded by the bot and posted as files in the force's supervisors room only; audited with the document hash.
 * The export is recorded there too, so the retention sweep takes the files back once `retention.exportPeriod` has
 * passed or the conversation is deleted (export/record.ts).
 */
export async function exportCommand(invocation: Invocation, roomId: string): Promise<CommandOutcome> {
  const { ctx, staff, at, force, eventId } = invocation;
  const conversation = conversationOf(invocation, roomId);
  if (!conversation) return UNKNOWN;
  const doc = await exportConversation(ctx.matrix, roomId, {
    exportedBy: staff.userId,
    now: at,
    // A past conversation rebuilt at start does not know its guest: the export reads it from the room's marker.
    ...(conversation.guest !== UNREAD_GUEST ? { guest: conversation.guest } : {}),
    download: (mxc) => ctx.matrix.download(mxc),
  });
  const ticket = conversation.entry.ticket;
  const supervisorsRoomId = ctx.store.forces[force].supervisorsRoomId;
  const files = [
    {
      name: `export-conversation-${ticket}.json`,
      type: 'application/json',
      bytes: Buffer.from(JSON.stringify(doc, null, 2)),
    },
    { name: `export-conversation-${ticket}.html`, type: 'text/html', bytes: Buffer.from(renderExportHtml(doc)) },
  ];
  const exportId = createHash('sha256').update(eventId).digest('hex').slice(0, 12);
  const posted: ExportFile[] = [];
  // Federated: the files stay on the force's server, beside the supervisors room (the same client on one server).
  const forceClient = ctx.matrix.clientOn(supervisorsRoomId);
  for (const file of files) {
    const uploaded = await forceClient.upload(file.bytes, file.type, file.name);
    const fileEventId = await ctx.matrix.send(
      supervisorsRoomId,
      'm.room.message',
      {
        msgtype: 'm.file',
        body: file.name,
        filename: file.name,
        url: uploaded,
        info: { mimetype: file.type, size: file.bytes.length },
        [ContentKey.Export]: { documentSha256: doc.documentSha256, conversation: roomId, id: exportId },
      },
      stableTxnId('export', eventId, file.name),
    );
    // A replay gets the first run's event back (same transaction id), which names the first run's upload.
    const sent = await roomEvent<{ content?: { url?: unknown } }>(ctx.matrix, supervisorsRoomId, fileEventId);
    const mxc = typeof sent.content?.url === 'string' ? sent.content.url : uploaded;
    if (mxc !== uploaded) await deleteLocalMedia(forceClient, uploaded);
    posted.push({ eventId: fileEventId, mxc });
  }
  await saveExportRecord(ctx.matrix, supervisorsRoomId, {
    id: exportId,
    conversation: roomId,
    force,
    by: staff.userId,
    at,
    documentSha256: doc.documentSha256,
    files: posted,
  });
  await ctx.audit.write([force], `export:${eventId}`, {
    actor: staff.userId,
    action: 'export',
    conversation: roomId,
    at,
    details: { sha256: doc.documentSha256, events: doc.events.length, evidence: doc.evidence.length },
  });
  return {
    ok: true,
    message: `Export de la conversation n°${ticket} déposé dans le salon des superviseurs (empreinte ${doc.documentSha256.slice(0, 16)}…).`,
  };
}
