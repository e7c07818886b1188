import sharp, { type OutputInfo } from 'sharp';
import { logger } from '../log.ts';
import { deleteLocalMedia } from '../matrix/admin.ts';
import type { Homeserver, MediaUploader } from '../matrix/homeserver.ts';
import { EVIDENCE_CONTENT_KEY, sha256 } from '../runtime/safety.ts';

const log = logger.child({ module: 'safety.evidence' });

/**
 * Evidence images a young person sends through the bot API (guests cannot upload media): screenshots of
 * harassment or sextortion. Every accepted image is decoded and re-encoded from its pixels, so nothing but
 * pixels survives — no EXIF (GPS position, phone model, time), XMP, ICC profile, comments or trailing data.
 * The SHA-256 recorded (audit, agent, export) is that of the stored, sanitised bytes.
 */
export const EVIDENCE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type EvidenceType = (typeof EVIDENCE_TYPES)[number];

export interface EvidenceLimits {
  maxBytes: number;
  /** Decoded size cap (width × height), against decompression bombs. */
  maxPixels: number;
}

/** Below Synapse's max_upload_size (10M) so a re-encoded image always fits. */
export const DEFAULT_EVIDENCE_LIMITS: EvidenceLimits = { maxBytes: 8 * 1024 * 1024, maxPixels: 40_000_000 };

export type EvidenceRefusal =
  'EMPTY' | 'TOO_LARGE' | 'UNSUPPORTED_TYPE' | 'NOT_AN_IMAGE' | 'CORRUPT' | 'TOO_MANY_PIXELS';

/** Shown to the young person as it is. */
export const EVIDENCE_MESSAGES: Record<EvidenceRefusal, string> = {
  EMPTY: "Le fichier est vide. Essaie d'envoyer la capture d'écran à nouveau.",
  TOO_LARGE:
    "Cette image est trop lourde (8 Mo au plus). Tu peux faire une capture d'écran de l'image : elle sera plus légère.",
  UNSUPPORTED_TYPE: "On ne peut recevoir que des images (JPEG, PNG ou WebP), par exemple une capture d'écran.",
  NOT_AN_IMAGE: "Ce fichier n'est pas une image JPEG, PNG ou WebP. Fais plutôt une capture d'écran et envoie-la.",
  CORRUPT: "Cette image est abîmée et ne peut pas être ouverte. Essaie de refaire la capture d'écran.",
  TOO_MANY_PIXELS: "Cette image est trop grande. Fais une capture d'écran de la partie importante et envoie-la.",
};

export interface SanitisedEvidence {
  bytes: Buffer;
  mimetype: EvidenceType;
  width: number;
  height: number;
  /** SHA-256 (hex) of `bytes`, the stored image. */
  sha256: string;
  /** SHA-256 of what was received, before cleaning: proves which file the young person sent. */
  receivedSha256: string;
  /** The type announced by the browser differed from the real one (kept the real one). */
  declaredMismatch: boolean;
}

export type EvidenceResult =
  { ok: true; evidence: SanitisedEvidence } | { ok: false; code: EvidenceRefusal; message: string };

function refuse(code: EvidenceRefusal): EvidenceResult {
  return { ok: false, code, message: EVIDENCE_MESSAGES[code] };
}

export { sha256, EVIDENCE_CONTENT_KEY };

/** The real type, from the first bytes (magic numbers), whatever the file claims to be. */
export function sniffImageType(bytes: Uint8Array): EvidenceType | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((byte, index) => bytes[index] === byte)) return 'image/png';
  const ascii = (from: number, to: number) => Buffer.from(bytes.subarray(from, to)).toString('latin1');
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

function normaliseDeclared(declared: string | undefined): string {
  return (declared ?? '').split(';')[0]!.trim().toLowerCase().replace('image/jpg', 'image/jpeg');
}

/** Checks, decodes and re-encodes an image; nothing is stored here. */
export async function sanitiseEvidence(
  input: Uint8Array,
  declaredType: string | undefined,
  limits: EvidenceLimits = DEFAULT_EVIDENCE_LIMITS,
): Promise<EvidenceResult> {
  if (input.length === 0) return refuse('EMPTY');
  if (input.length > limits.maxBytes) return refuse('TOO_LARGE');
  const declared = normaliseDeclared(declaredType);
  if (declared && !(EVIDENCE_TYPES as readonly string[]).includes(declared) && declared !== 'application/octet-stream')
    return refuse('UNSUPPORTED_TYPE');
  const real = sniffImageType(input);
  if (!real) return refuse('NOT_AN_IMAGE');

  let output: { data: Buffer; info: OutputInfo };
  try {
    const image = sharp(input, { failOn: 'truncated', limitInputPixels: limits.maxPixels, animated: false });
    const meta = await image.metadata();
    if (!meta.width || !meta.height) return refuse('CORRUPT');
    if (meta.width * meta.height > limits.maxPixels) return refuse('TOO_MANY_PIXELS');
    // rotate() applies the EXIF orientation to the pixels first, so a phone photo still shows upright once its
    // EXIF is gone. Without keepMetadata/withMetadata, sharp writes no metadata at all (and converts to sRGB).
    const pipeline = image.rotate();
    const encoded =
      real === 'image/jpeg'
        ? pipeline.jpeg({ quality: 90 })
        : real === 'image/png'
          ? pipeline.png()
          : pipeline.webp({ quality: 90 });
    output = await encoded.toBuffer({ resolveWithObject: true });
  } catch (error) {
    const message = (error as Error).message ?? '';
    log.info(
      { type: real, size: input.length, reason: /pixel limit/i.test(message) ? 'pixels' : 'decode' },
      'refused an evidence image',
    );
    return refuse(/pixel limit/i.test(message) ? 'TOO_MANY_PIXELS' : 'CORRUPT');
  }
  return {
    ok: true,
    evidence: {
      bytes: output.data,
      mimetype: real,
      width: output.info.width,
      height: output.info.height,
      sha256: sha256(output.data),
      receivedSha256: sha256(input),
      declaredMismatch: declared !== '' && declared !== 'application/octet-stream' && declared !== real,
    },
  };
}

export interface StoredEvidence {
  mxc: string;
  sha256: string;
  receivedSha256: string;
  mimetype: EvidenceType;
  size: number;
  width: number;
  height: number;
  filename: string;
}

const EXTENSION: Record<EvidenceType, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

/** Uploads a sanitised image with the bot's token; the name says nothing of the original file. */
export async function storeEvidence(
  upload: MediaUploader,
  evidence: SanitisedEvidence,
  at: number,
): Promise<StoredEvidence> {
  const filename = `preuve-${new Date(at).toISOString().slice(0, 19).replace(/[-:T]/g, '')}.${EXTENSION[evidence.mimetype]}`;
  const mxc = await upload(evidence.bytes, evidence.mimetype, filename);
  return {
    mxc,
    sha256: evidence.sha256,
    receivedSha256: evidence.receivedSha256,
    mimetype: evidence.mimetype,
    size: evidence.bytes.length,
    width: evidence.width,
    height: evidence.height,
    filename,
  };
}

/** The m.image message the bot posts in the young person's room (txn id: derive it from the upload's hash). */
export function evidenceMessage(stored: StoredEvidence): Record<string, unknown> {
  return {
    msgtype: 'm.image',
    body: stored.filename,
    url: stored.mxc,
    info: { mimetype: stored.mimetype, size: stored.size, w: stored.width, h: stored.height },
    [EVIDENCE_CONTENT_KEY]: { sha256: stored.sha256, receivedSha256: stored.receivedSha256 },
  };
}

/** Sanitises then stores: nothing is uploaded unless the image is accepted (nothing half-stored). */
export async function receiveEvidence(
  upload: MediaUploader,
  input: Uint8Array,
  declaredType: string | undefined,
  at: number,
  limits?: EvidenceLimits,
): Promise<{ ok: true; stored: StoredEvidence } | { ok: false; code: EvidenceRefusal; message: string }> {
  const result = await sanitiseEvidence(input, declaredType, limits);
  if (!result.ok) return result;
  return { ok: true, stored: await storeEvidence(upload, result.evidence, at) };
}

/**
 * Deletes an uploaded image that could not be posted in the room (admin media API). A room purge only finds media
 * its events reference, so an image uploaded but never posted would otherwise stay in the media store until
 * media_retention. Call it when posting `evidenceMessage` fails for good: nothing is then half-stored.
 */
export function discardEvidence(hs: Homeserver, mxc: string): Promise<boolean> {
  return deleteLocalMedia(hs, mxc);
}
