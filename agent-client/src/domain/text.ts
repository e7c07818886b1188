/**
 * Bidirectional control characters (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI) let a sender reorder how the
 * rest of a line is displayed ("gpj.exe" shown as "exe.jpg"). Svelte already renders bodies as text; this
 * additionally makes such characters visible so an agent reads what was really sent. Pair with CSS
 * `unicode-bidi: isolate` on each message so one message cannot bleed into the next.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

export function revealBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, (char) => `⟨U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

/** A Matrix user ID's localpart, for staff (never used for young people). */
export function localpart(userId: string): string {
  const colon = userId.indexOf(':');
  return userId.slice(1, colon === -1 ? undefined : colon);
}

export { serverNameOf } from '../matrix/ids.ts';
