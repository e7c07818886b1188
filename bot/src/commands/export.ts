import { stableTxnId } from '../matrix/client.ts';
import { exportConversation, renderExportHtml } from '../safety/export.ts';
import { UNKNOWN, conversationOf, refuse, type CommandOutcome, type Invocation } from './types.ts';

/**
 * Supervisors: export a conversation for a judicial procedure. The JSON and the readable document are
 * uploaded by the bot and posted as files in the force's supervisors room only; audited with the document hash.
 */
export async function exportCommand(invocation: Invocation, roomId: string): Promise<CommandOutcome> {
  const { ctx, staff, at, force, eventId } = invocation;
  if (staff.role !== 'supervisor') return refuse('NOT_SUPERVISOR', 'Réservé aux superviseurs.');
  const conversation = conversationOf(invocation, roomId);
  if (!conversation) return UNKNOWN;
  const doc = await exportConversation(ctx.matrix, roomId, {
    exportedBy: staff.userId,
    now: at,
    guest: conversation.guest,
    download: async (mxc) => (await ctx.matrix.sdk.downloadContent(mxc)).data,
  });
  const ticket = conversation.entry!.ticket;
  const supervisorsRoomId = ctx.store.forces[force].supervisorsRoomId;
  const files = [
    { name: `export-conversation-${ticket}.json`, type: 'application/json', bytes: Buffer.from(JSON.stringify(doc, null, 2)) },
    { name: `export-conversation-${ticket}.html`, type: 'text/html', bytes: Buffer.from(renderExportHtml(doc)) },
  ];
  for (const file of files) {
    const mxc = await ctx.matrix.sdk.uploadContent(file.bytes, file.type, file.name);
    await ctx.matrix.send(
      supervisorsRoomId,
      'm.room.message',
      { msgtype: 'm.file', body: file.name, filename: file.name, url: mxc, info: { mimetype: file.type, size: file.bytes.length }, 'fr.espace-mineurs.export': { documentSha256: doc.documentSha256, conversation: roomId } },
      stableTxnId('export', eventId, file.name),
    );
  }
  await ctx.audit.write([force], `export:${eventId}`, { actor: staff.userId, action: 'export', conversation: roomId, at, details: { sha256: doc.documentSha256, events: doc.events.length, evidence: doc.evidence.length } });
  return { ok: true, message: `Export de la conversation n°${ticket} déposé dans le salon des superviseurs (empreinte ${doc.documentSha256.slice(0, 16)}…).` };
}
