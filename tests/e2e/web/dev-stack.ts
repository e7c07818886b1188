/**
 * Starts what the young person's site needs, for trying the chat by hand or from the browser tests:
 * a native Synapse on 8008, a bot account, an agent account, and the fake bot API on 8090.
 * Prints the agent's credentials as JSON on one line, then runs until interrupted.
 *
 * Usage (from the repository root): node tests/e2e/web/dev-stack.ts [dataDir]
 */
import { mkdirSync } from 'node:fs';
import { registerWithSharedSecret, startHomeserver } from '@espace-mineurs/synapse';
import { startFakeBot } from './fake-bot.ts';

const dataDir = process.argv[2] ?? '/tmp/espace-web-stack';
mkdirSync(dataDir, { recursive: true });
const homeserver = await startHomeserver({ dataDir, port: Number(process.env.HS_PORT ?? 8008), source: 'native' });
const secret = homeserver.registrationSharedSecret;
if (!secret) throw new Error('the homeserver gave no registration shared secret');
const suffix = Date.now().toString(36);
const bot = await registerWithSharedSecret(homeserver.baseUrl, secret, { localpart: `bot-${suffix}`, password: `pw-${suffix}-b`, admin: true });
const agent = await registerWithSharedSecret(homeserver.baseUrl, secret, { localpart: `agent-${suffix}`, password: `pw-${suffix}-a`, admin: false });
// As the real bot does: exempt the service account from rate limits, which only ever bind guests.
await fetch(`${homeserver.baseUrl}/_synapse/admin/v1/users/${encodeURIComponent(bot.userId)}/override_ratelimit`, {
  method: 'POST',
  headers: { authorization: `Bearer ${bot.accessToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ messages_per_second: 0, burst_count: 0 }),
});
const fakeBot = await startFakeBot({ homeserverUrl: homeserver.baseUrl, botToken: bot.accessToken, port: Number(process.env.BOT_PORT ?? 8090) });
process.stdout.write(`${JSON.stringify({ homeserver: homeserver.baseUrl, bot: fakeBot.url, agent })}\n`);

const stop = async (): Promise<void> => {
  await fakeBot.stop();
  await homeserver.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
