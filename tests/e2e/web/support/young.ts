import type { Page } from 'playwright-core';

/** The young person's side, driven through the site as they would: every step is a click or a key press. */

/** What the site keeps in session storage for the reload case (web/src/lib/chat/session-store.ts). */
export interface StoredChat {
  userId: string;
  accessToken: string;
  roomId?: string;
}

export async function storedChat(page: Page): Promise<StoredChat | undefined> {
  return page.evaluate(() => {
    const raw = sessionStorage.getItem('espace.chat');
    if (!raw) return undefined;
    const session = JSON.parse(raw) as { credentials: { userId: string; accessToken: string }; roomId?: string };
    return {
      userId: session.credentials.userId,
      accessToken: session.credentials.accessToken,
      ...(session.roomId ? { roomId: session.roomId } : {}),
    };
  });
}

/** The triage answers of bot/triage.yaml, by button label (the context comes from the entry point). */
export const TRIAGE_CLICKS = [
  "Ça m'arrive à moi",
  'Du harcèlement ou du cyberharcèlement',
  'Non, pas en ce moment',
  '13 ou 14 ans',
];

/** Answers each question by clicking its button, waiting each time for the next question's buttons. */
export async function answerTriageByClicks(page: Page, labels: readonly string[] = TRIAGE_CLICKS): Promise<void> {
  for (const label of labels) {
    const option = page.getByRole('button', { name: label, exact: true });
    await option.waitFor({ timeout: 20_000 });
    await option.click();
    // The question is answered once its buttons are gone and the answer shows in the conversation.
    await page.getByRole('log').getByText(label, { exact: true }).waitFor({ timeout: 10_000 });
    await option.waitFor({ state: 'detached', timeout: 10_000 });
  }
}

/** Types into the composer and sends with Enter, as young people do on their phones' messaging apps. */
export async function say(page: Page, text: string): Promise<void> {
  const input = page.getByLabel('Ton message');
  await input.fill(text);
  await input.press('Enter');
}

/** The postal-code question: typed, since it expects five digits (93200 routes to the police in the test rules). */
export async function answerPostalCode(page: Page, postalCode: string): Promise<void> {
  await page.getByText('Quel est le code postal', { exact: false }).last().waitFor({ timeout: 20_000 });
  await say(page, postalCode);
}

export function statusBar(page: Page) {
  return page.locator('.status-bar');
}

/** From the home page to the chat's intro by taps: an entry point, then its « Parler à un policier ou un gendarme ». */
export async function tapFromHomeToChat(page: Page): Promise<void> {
  await page
    .getByRole('link', { name: /Sur les réseaux sociaux/ })
    .first()
    .click();
  await page.waitForURL('**/lieu/reseaux-sociaux');
  await page.getByRole('link', { name: 'Parler à un policier ou un gendarme' }).first().click();
  await page.waitForURL('**/chat?lieu=*');
}
