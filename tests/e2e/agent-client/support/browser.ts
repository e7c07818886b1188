import type { BrowserContext, Page } from 'playwright-core';
import { api } from './api.ts';
import type { Guest } from './engine.ts';
import { demoAccount, type AgentClientStack, type LoginTarget } from './stack.ts';

/**
 * Signs a demo account in through the login form and waits for the workspace. `stack` is any served client with
 * its demo accounts: the single-server stack, or one force's client in the federated deployment.
 */
export async function loginAs(
  stack: LoginTarget,
  context: BrowserContext,
  localpart: string,
  width = 1280,
): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 800 });
  await page.goto(stack.clientUrl);
  await page.getByLabel('Identifiant').fill(demoAccount(stack, localpart).localpart);
  await page.getByLabel('Mot de passe').fill(demoAccount(stack, localpart).password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.locator('.sidebar').waitFor({ timeout: 30_000 });
  return page;
}

/**
 * Records desktop notifications instead of showing them (headless Chromium has no notification centre), and
 * counts the chime's notes (each is an oscillator).
 */
export async function recordNotifications(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const shown: string[] = [];
    const win = window as unknown as {
      __notifications: string[];
      __chimes: number;
      Notification: unknown;
      AudioContext: typeof AudioContext;
    };
    win.__notifications = shown;
    win.__chimes = 0;
    class RecordingNotification {
      static permission = 'granted';
      static requestPermission = async () => 'granted';
      onclick: (() => void) | null = null;
      constructor(title: string, options?: { body?: string }) {
        shown.push(`${title} | ${options?.body ?? ''}`);
      }
    }
    win.Notification = RecordingNotification;
    const Original = win.AudioContext;
    win.AudioContext = class extends Original {
      override createOscillator(): OscillatorNode {
        win.__chimes++;
        return super.createOscillator();
      }
    };
  });
}

export const notificationsOf = (page: Page) =>
  page.evaluate(() => (window as unknown as { __notifications: string[] }).__notifications);
export const chimesOf = (page: Page) => page.evaluate(() => (window as unknown as { __chimes: number }).__chimes);

/** Everything the young person's own account can see: their sync and their room's whole history. */
export async function guestSees(stack: AgentClientStack, guest: Guest, roomId: string): Promise<string> {
  const sync = await api(stack.homeserver.baseUrl, guest.accessToken, 'GET', '/_matrix/client/v3/sync?timeout=0');
  const history = await api(
    stack.homeserver.baseUrl,
    guest.accessToken,
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=200`,
  );
  return JSON.stringify([sync, history]);
}
