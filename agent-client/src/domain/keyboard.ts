export type ShortcutAction =
  | 'next-conversation'
  | 'previous-conversation'
  | 'claim-next'
  | 'focus-composer'
  | 'focus-notes'
  | 'canned'
  | 'show-queue'
  | 'help';

export interface KeyLike {
  code: string;
  key: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
}

/**
 * Global shortcuts. Alt + a physical key (event.code), so they work on AZERTY and QWERTY alike and never collide
 * with typing in the composer. Alt+↑/↓ moves between conversations as in Element.
 */
export const SHORTCUTS: ReadonlyArray<{ code: string; action: ShortcutAction; label: string; keys: string }> = [
  { code: 'ArrowDown', action: 'next-conversation', label: 'Conversation suivante', keys: 'Alt + ↓' },
  { code: 'ArrowUp', action: 'previous-conversation', label: 'Conversation précédente', keys: 'Alt + ↑' },
  { code: 'KeyP', action: 'claim-next', label: 'Prendre la conversation la plus prioritaire', keys: 'Alt + P' },
  { code: 'KeyM', action: 'focus-composer', label: 'Écrire un message', keys: 'Alt + M' },
  { code: 'KeyN', action: 'focus-notes', label: 'Écrire une note interne', keys: 'Alt + N' },
  { code: 'KeyR', action: 'canned', label: 'Réponses types', keys: 'Alt + R' },
  { code: 'KeyF', action: 'show-queue', label: "File d'attente", keys: 'Alt + F' },
  { code: 'Slash', action: 'help', label: 'Aide des raccourcis', keys: 'Alt + /' },
];

export function shortcutFor(event: KeyLike): ShortcutAction | undefined {
  if (!event.altKey || event.ctrlKey || event.metaKey) return undefined;
  return SHORTCUTS.find((shortcut) => shortcut.code === event.code)?.action;
}

/** Enter sends; Shift+Enter is a new line; while an IME composes, Enter belongs to it. */
export function composerKeyAction(event: KeyLike & { isComposing?: boolean }): 'send' | undefined {
  if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return undefined;
  return 'send';
}

/** The neighbour of the current conversation in the sidebar order, wrapping around. */
export function neighbour(order: string[], current: string | undefined, step: 1 | -1): string | undefined {
  if (order.length === 0) return undefined;
  const index = current ? order.indexOf(current) : -1;
  if (index === -1) return step === 1 ? order[0] : order[order.length - 1];
  return order[(index + step + order.length) % order.length];
}
