/**
 * Leaves the site at once for a neutral page. `location.replace` swaps the current history entry, so Back
 * from the neutral page does not show the page the young person was on; session storage (the only storage
 * the site uses, for the chat's reload case) is cleared first so nothing can resume the conversation.
 */
export function quickExit(
  target: string,
  win: Pick<Window, 'sessionStorage' | 'location' | 'addEventListener'> = window,
): void {
  const clear = () => {
    try {
      win.sessionStorage.clear();
    } catch {
      // Storage can be unavailable (privacy modes); leaving matters more than clearing.
    }
  };
  clear();
  // SvelteKit saves its scroll and snapshot keys into session storage as the page unloads; this listener is
  // added after SvelteKit's, so it runs after it and leaves the storage empty.
  win.addEventListener('pagehide', clear);
  win.location.replace(target);
}

/** Whether a key press asks for the quick exit. Escape works everywhere, even while typing a message. */
export function isQuickExitKey(event: Pick<KeyboardEvent, 'key' | 'isComposing'>): boolean {
  return event.key === 'Escape' && !event.isComposing;
}
