import type { ConversationExport, ExportedEvent } from './document.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

const PARIS = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'full', timeStyle: 'medium', timeZone: 'Europe/Paris' });

function when(ts: number): string {
  return `${PARIS.format(ts)} (${new Date(ts).toISOString()})`;
}

const ROLE_LABEL = { service: 'Service Espace mineurs', jeune: 'Jeune', agent: 'Agent' } as const;

const MEMBERSHIP: Record<string, string> = {
  join: 'a rejoint la conversation',
  leave: 'a quitté la conversation',
  invite: 'a été invité',
  ban: 'a été banni',
};

function who(event: ExportedEvent): string {
  return event.role === 'agent' ? `${ROLE_LABEL.agent} ${event.sender}` : ROLE_LABEL[event.role];
}

function row(event: ExportedEvent, evidence: Map<string, { sha256: string; verified?: boolean }>): string | undefined {
  let text: string;
  if (event.type === 'm.room.message') {
    if (event.redacted) text = '(message supprimé)';
    else if (event.content.msgtype === 'm.image') {
      const proof = evidence.get(event.eventId);
      text = `Image transmise${proof ? ` — empreinte SHA-256 ${proof.sha256}${proof.verified === undefined ? '' : proof.verified ? ' (vérifiée)' : ' (NON vérifiée : image absente ou différente)'}` : ''}`;
    } else text = typeof event.content.body === 'string' ? event.content.body : '(message sans texte)';
  } else if (event.type === 'm.room.member') {
    const membership = typeof event.content.membership === 'string' ? event.content.membership : '';
    const target = event.stateKey ?? event.sender;
    text = `${target} ${MEMBERSHIP[membership] ?? membership}`;
  } else {
    return undefined;
  }
  return `<tr><td class="t">${escapeHtml(when(event.ts))}</td><td class="w ${event.role}">${escapeHtml(who(event))}</td><td class="m">${escapeHtml(text)}</td><td class="h">${escapeHtml(event.sha256)}</td></tr>`;
}

/**
 * A self-contained, printable HTML document (no script, no external resource, strict CSP): every text from the
 * conversation is escaped, so a message containing markup shows as text.
 */
export function renderExportHtml(doc: ConversationExport): string {
  const evidence = new Map(doc.evidence.map((item) => [item.eventId, item]));
  const rows = doc.events.map((event) => row(event, evidence)).filter((line): line is string => line !== undefined);
  const evidenceRows = doc.evidence.map(
    (item) =>
      `<li><code>${escapeHtml(item.mxc)}</code> — SHA-256 <code>${escapeHtml(item.sha256)}</code>${item.verified === undefined ? '' : item.verified ? ' — vérifiée' : ' — <strong>non vérifiée</strong>'}</li>`,
  );
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Export de conversation — Espace mineurs</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#111}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #bbb;padding:.3rem .5rem;vertical-align:top;text-align:left}
td.m{white-space:pre-wrap;overflow-wrap:anywhere}td.h,code{font-family:ui-monospace,monospace;font-size:.75rem;overflow-wrap:anywhere}
td.t{font-size:.8rem;width:14rem}.jeune{color:#064}.agent{color:#036}.service{color:#555}
</style>
</head>
<body>
<h1>Export de conversation — Espace mineurs</h1>
<p>Document confidentiel, établi pour une procédure judiciaire.</p>
<dl>
<dt>Salle</dt><dd><code>${escapeHtml(doc.roomId)}</code></dd>
<dt>Compte du jeune</dt><dd><code>${escapeHtml(doc.guest ?? 'inconnu')}</code></dd>
<dt>Exporté le</dt><dd>${escapeHtml(when(doc.exportedAt))}</dd>
<dt>Exporté par</dt><dd><code>${escapeHtml(doc.exportedBy)}</code></dd>
<dt>Empreinte SHA-256 du document JSON</dt><dd><code>${escapeHtml(doc.documentSha256)}</code></dd>
<dt>Événements</dt><dd>${doc.events.length} (dont ${rows.length} affichés ci-dessous ; le fichier JSON les contient tous)</dd>
</dl>
<h2>Messages</h2>
<table>
<thead><tr><th>Date</th><th>Auteur</th><th>Message</th><th>Empreinte SHA-256</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
<h2>Images transmises</h2>
${evidenceRows.length ? `<ul>\n${evidenceRows.join('\n')}\n</ul>` : '<p>Aucune.</p>'}
<p>L'empreinte de chaque message est le SHA-256 du JSON canonique (clés triées) de l'événement : identifiant, type, auteur, date, contenu.</p>
</body>
</html>
`;
}
