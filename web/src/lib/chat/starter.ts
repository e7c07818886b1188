/**
 * What the chat's intro screen needs of the chat: its phase, its error, and the tap. The chat page hands it a
 * light stand-in until the chat's code has arrived (it is fetched while the young person reads the page), so
 * the intro never waits for that code and a tap made before it arrives is kept.
 */
export type Phase = 'intro' | 'starting' | 'active' | 'ended';

export interface ChatStarter {
  readonly phase: Phase;
  readonly error: string | undefined;
  start(context?: string): void | Promise<void>;
}

/** The start button's id; app.html's inline script records it in `window.__espaceEarlyTap` when tapped early. */
export const EARLY_TAP_BUTTON_ID = 'chat-start';

/** A tap on the start button made before the page was live, taken once (it is not played twice). */
export function takeEarlyTap(): boolean {
  const tapped = window.__espaceEarlyTap === EARLY_TAP_BUTTON_ID;
  delete window.__espaceEarlyTap;
  return tapped;
}
