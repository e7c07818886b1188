/**
 * Evidence (screenshots) the young person sends through the bot API: the checks made before sending, with the
 * same limits as the bot (bot/src/evidence/evidence.ts), and how the bot's m.image event is read back.
 */
import { ContentKey } from '@espace-mineurs/protocol/names';

export const EVIDENCE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export const EVIDENCE_ACCEPT = EVIDENCE_TYPES.join(',');
/** The bot's limit: 8 Mo. */
export const EVIDENCE_MAX_BYTES = 8 * 1024 * 1024;
/** The key of the bot's evidence content in its m.image event. */
export const EVIDENCE_CONTENT_KEY = ContentKey.Evidence;

export const EVIDENCE_CHECK_MESSAGES = {
  empty: "Ce fichier est vide. Essaie de refaire la capture d'écran.",
  type: "On ne peut recevoir que des images (JPEG, PNG ou WebP), par exemple une capture d'écran. Ce fichier n'a pas été envoyé.",
  size: "Cette image est trop lourde (8 Mo au plus). Une capture d'écran de l'image sera plus légère. Rien n'a été envoyé.",
} as const;

/** A kind message when the file cannot be sent, or undefined when it may go to the bot (which checks again). */
export function checkEvidenceFile(file: { type: string; size: number }): string | undefined {
  const type = file.type.toLowerCase().replace('image/jpg', 'image/jpeg');
  if (!(EVIDENCE_TYPES as readonly string[]).includes(type)) return EVIDENCE_CHECK_MESSAGES.type;
  if (file.size === 0) return EVIDENCE_CHECK_MESSAGES.empty;
  if (file.size > EVIDENCE_MAX_BYTES) return EVIDENCE_CHECK_MESSAGES.size;
  return undefined;
}

/** The first characters of a SHA-256, enough for the young person and the agent to recognise the same image. */
export function shortHash(sha256: string): string {
  return sha256.slice(0, 8);
}

/** The hash of the stored image from the bot's evidence content, if it is well formed. */
export function evidenceHash(content: Record<string, unknown>): string | undefined {
  const raw = content[EVIDENCE_CONTENT_KEY];
  if (typeof raw !== 'object' || raw === null) return undefined;
  const sha256 = (raw as Record<string, unknown>).sha256;
  return typeof sha256 === 'string' && /^[0-9a-f]{64}$/.test(sha256) ? sha256 : undefined;
}

export function evidenceLineText(sha256: string): string {
  return `Capture d’écran envoyée (empreinte ${shortHash(sha256)})`;
}

/**
 * The authenticated media download URL of an mxc:// URI (Synapse ≥ 1.120 serves media only there, with the
 * Authorization header), or undefined for anything that is not a plain mxc://server/id.
 */
export function mediaDownloadUrl(homeserverUrl: string, mxc: string): string | undefined {
  const match = /^mxc:\/\/([A-Za-z0-9.:[\]-]+)\/([A-Za-z0-9_-]+)$/.exec(mxc);
  if (!match) return undefined;
  return `${homeserverUrl.replace(/\/+$/, '')}/_matrix/client/v1/media/download/${encodeURIComponent(match[1]!)}/${encodeURIComponent(match[2]!)}`;
}
