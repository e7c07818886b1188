/**
 * Text helpers for what the site shows of other people's words. Svelte already renders strings as text; on top
 * of that each string is direction-isolated in the markup (dir="auto", `<bdi>`), and the bidirectional *control*
 * characters are made visible, as the agent client does, so nobody's text can be shown in another order than it
 * was typed ("photo‮gnp.exe" would read "photoexe.png").
 */

/** LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI: the characters that reorder what follows them. */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

export function revealBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, (char) => `⟨U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

/** A name shown inside a sentence: without control characters (a name is a label, not a message). */
export function cleanName(name: string): string {
  return name.replace(BIDI_CONTROLS, '');
}

/** A sentence split around a name, so the name alone can be isolated (`<bdi>`) inside it. */
export function splitAround(
  sentence: string,
  name: string | undefined,
): { before: string; name: string; after: string } | undefined {
  if (!name) return undefined;
  const at = sentence.indexOf(name);
  if (at === -1) return undefined;
  return { before: sentence.slice(0, at), name: cleanName(name), after: sentence.slice(at + name.length) };
}

export type TextPart = { text: string } | { text: string; href: string; sms: boolean };

/**
 * The help numbers a service message names (the bot's own texts only: trust by sender), so that a tap calls
 * them. Digits inside longer numbers, ages (« 17 ans ») and hours (« 19 h ») are left alone.
 */
const NUMBER = /(?<![\d\w])(116 006|3018|3919|119|114|112|17)(?![\d\w]|\s?\d|\s*(?:ans|h\b|heures?|minutes?|%))/g;

export function linkHelpNumbers(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(NUMBER)) {
    const number = match[1]!;
    if (match.index > last) parts.push({ text: text.slice(last, match.index) });
    const sms = number === '114';
    parts.push({ text: number, href: `${sms ? 'sms' : 'tel'}:${number.replace(/\s/g, '')}`, sms });
    last = match.index + number.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}
