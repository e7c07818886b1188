import { resolve } from 'node:path';
import { loadConfig, start, type RunningBot } from '@espace-mineurs/bot';
import { EventType, type ConversationEntry, type Force } from '@espace-mineurs/protocol';
import type { ConversationSpec, Engine, Guest } from './engine.ts';
import { api } from './api.ts';
import { waitUntil } from '../../../support/wait.ts';

/** The test routing rules (read, not changed): department 22 goes to the gendarmerie, 75/92/93/94 to the police. */
const TEST_ROUTING_FILE = resolve(import.meta.dirname, '../../../support/routing.test.yaml');
const POSTAL_CODE: Record<Force, string> = { police: '93200', gendarmerie: '22000' };
const WHAT_NUMBER: Record<ConversationSpec['what'], string> = {
  'violences-physiques': '1',
  harcelement: '3',
  sextorsion: '4',
  addiction: '5',
};

const enc = encodeURIComponent;
let txn = 0;
let address = 0;

const until = <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> =>
  waitUntil(what, check, { timeoutMs, intervalMs: 150 });

/** The real conversation service (bot/), started in this process against the test Synapse. */
export class RealEngine implements Engine {
  private readonly bot: RunningBot;
  private readonly baseUrl: string;
  private readonly botToken: string;
  private readonly botUserId: string;
  private readonly queues: Record<Force, string>;

  private constructor(
    bot: RunningBot,
    options: { baseUrl: string; botToken: string; botUserId: string; queues: Record<Force, string> },
  ) {
    this.bot = bot;
    this.baseUrl = options.baseUrl;
    this.botToken = options.botToken;
    this.botUserId = options.botUserId;
    this.queues = options.queues;
  }

  static async start(options: {
    baseUrl: string;
    stateDir: string;
    botToken: string;
    botUserId: string;
    queues: Record<Force, string>;
  }): Promise<RealEngine> {
    const bot = await start(
      loadConfig(
        {
          ESPACE_HOMESERVER_URL: options.baseUrl,
          ESPACE_STATE_DIR: options.stateDir,
          ESPACE_BOT_PORT: '0',
          ESPACE_ROUTING_FILE: TEST_ROUTING_FILE,
          ESPACE_TRUST_PROXY: '1',
          // As tests/support/bot-process.ts: a small room pool, not the production default's 50 rooms at start.
          ESPACE_ROOM_POOL_SIZE: '2',
        },
        {},
      ),
    );
    return new RealEngine(bot, options);
  }

  async stop(): Promise<void> {
    await this.bot.stop();
  }

  private async botMessageCount(guest: Guest, roomId: string): Promise<number> {
    const page = await api<{ chunk: Array<{ sender: string; type: string }> }>(
      this.baseUrl,
      guest.accessToken,
      'GET',
      `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=200`,
    );
    return page.chunk.filter((event) => event.sender === this.botUserId && event.type === 'm.room.message').length;
  }

  async guestSays(guest: Guest, roomId: string, body: string): Promise<void> {
    await api(
      this.baseUrl,
      guest.accessToken,
      'PUT',
      `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/r${Date.now()}-${txn++}`,
      { msgtype: 'm.text', body },
    );
  }

  async guestLeaves(guest: Guest): Promise<void> {
    const left = await fetch(`${this.bot.url}/api/conversations/current/leave`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: guest.accessToken,
    });
    if (left.status !== 200) throw new Error(`the leave beacon answered ${left.status}`);
  }

  async openConversation(spec: ConversationSpec): Promise<{ guest: Guest; entry: ConversationEntry }> {
    const registered = await api<{ user_id: string; access_token: string }>(
      this.baseUrl,
      undefined,
      'POST',
      '/_matrix/client/v3/register?kind=guest',
      {},
    );
    const guest: Guest = { userId: registered.user_id, accessToken: registered.access_token };
    address++;
    const opened = await fetch(`${this.bot.url}/api/conversations`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${guest.accessToken}`,
        'content-type': 'application/json',
        'x-forwarded-for': `10.77.${Math.floor(address / 250)}.${address % 250}`,
      },
      body: JSON.stringify({ context: 'maison-rue-sport' }),
    });
    if (opened.status !== 201) throw new Error(`opening a conversation answered ${opened.status}`);
    const { roomId } = (await opened.json()) as { roomId: string };
    await api(this.baseUrl, guest.accessToken, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, {});
    await until('the first triage question', async () =>
      (await this.botMessageCount(guest, roomId)) > 0 ? true : undefined,
    );
    // role: victim; what; in danger now; age 13–14; postal code (decides the force with the test rules).
    for (const answer of ['1', WHAT_NUMBER[spec.what], spec.urgent ? '1' : '2', '3', POSTAL_CODE[spec.force]]) {
      const before = await this.botMessageCount(guest, roomId);
      await this.guestSays(guest, roomId, answer);
      await until(`the bot's reply to "${answer}"`, async () =>
        (await this.botMessageCount(guest, roomId)) > before ? true : undefined,
      );
    }
    const entry = await until('the conversation in its queue', async () => {
      const state = await api<ConversationEntry>(
        this.baseUrl,
        this.botToken,
        'GET',
        `/_matrix/client/v3/rooms/${enc(this.queues[spec.force])}/state/${enc(EventType.Conversation)}/${enc(roomId)}`,
      );
      return state.state === 'queued' && state.queueEventId ? state : undefined;
    });
    for (const words of spec.firstWords ?? []) await this.guestSays(guest, roomId, words);
    return { guest, entry };
  }
}
