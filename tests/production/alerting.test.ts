import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { roomAliasLocalpart } from '@espace-mineurs/bot/bootstrap';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ProductionStack } from './stack.ts';
import { botCredentials, leave, openConversation, say, SKIP_TO_HUMAN, waitFor, type Young } from './young.ts';

/**
 * One alert end to end on the production-shaped stack, with the production rules and intervals as they are
 * (deploy/prometheus, no shortened `for`): a young person waits in a force's queue while nobody of that force is
 * on duty; Prometheus scrapes the bot, EspaceQueueWithoutAgent fires after its 2 minutes, Alertmanager routes it
 * with the routes of deploy/alertmanager/alertmanager.example.yml to the receiver "astreinte", whose webhook is
 * this test's server. Whatever ran before it on the shared stack, every demo agent first goes off duty (`!pause`
 * in their force's queue room, as from any Matrix client), so that the condition is true.
 */
const stack: ProductionStack = inject('productionStack');

interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface WebhookPayload {
  receiver: string;
  status: string;
  alerts: WebhookAlert[];
}

const received: WebhookPayload[] = [];
let server: Server;
let young: Young | undefined;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookPayload);
      } catch {
        // not Alertmanager's JSON: not counted
      }
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((done) => server.listen(stack.alertWebhookPort, '127.0.0.1', () => done()));
});

afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
});

async function query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const response = await fetch(`${stack.internal.prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as {
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  return body.data.result;
}

/** Every demo agent says `!pause` in their force's queue room; then Prometheus sees nobody on duty. */
async function everyoneOffDuty(): Promise<void> {
  const synapse = stack.internal.synapse;
  const call = async <T>(method: string, path: string, token: string | undefined, body?: unknown): Promise<T> => {
    const response = await fetch(`${synapse}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
    return (await response.json()) as T;
  };
  for (const account of stack.demo) {
    const login = await call<{ access_token: string }>('POST', '/_matrix/client/v3/login', undefined, {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: account.localpart },
      password: account.password,
    });
    const alias = `#${roomAliasLocalpart(account.force, 'queue')}:${stack.serverName}`;
    const { room_id: queue } = await call<{ room_id: string }>(
      'GET',
      `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`,
      login.access_token,
    );
    // Staff are members of their queue room (the agent client joins it at login); joining again changes nothing.
    await call('POST', `/_matrix/client/v3/join/${encodeURIComponent(queue)}`, login.access_token, {});
    await call(
      'PUT',
      `/_matrix/client/v3/rooms/${encodeURIComponent(queue)}/send/m.room.message/${randomUUID()}`,
      login.access_token,
      { msgtype: 'm.text', body: '!pause' },
    );
    await call('POST', '/_matrix/client/v3/logout', login.access_token, {});
  }
  await waitFor(
    'nobody on duty, as Prometheus sees it',
    async () => {
      const onDuty = await query('sum(espace_agents_on_duty)');
      return onDuty[0]?.value[1] === '0' ? true : undefined;
    },
    120_000,
    2000,
  );
}

describe('an alert, from the bot to the duty officer’s receiver', () => {
  it(
    'EspaceQueueWithoutAgent fires and reaches the webhook receiver of the Alertmanager configuration',
    { timeout: 600_000 },
    async () => {
      expect(stack.alertWebhookPort, 'this run configured a webhook receiver').toBeGreaterThan(0);
      // Prometheus scrapes both targets of the production configuration.
      await waitFor(
        'Prometheus to scrape the bot and Synapse',
        async () => {
          const up = await query('up');
          return up.length === 2 && up.every((sample) => sample.value[1] === '1') ? up : undefined;
        },
        120_000,
        2000,
      );

      await everyoneOffDuty();
      const bot = botCredentials(stack.botState);
      const here = { synapse: stack.internal.synapse, bot: stack.internal.bot };
      young = await openConversation(here, bot.userId);
      await say(here, young, SKIP_TO_HUMAN, bot.userId);
      const queued = await waitFor(
        'the conversation in a queue, as Prometheus sees it',
        async () => (await query('espace_queue_length > 0'))[0],
        120_000,
        2000,
      );
      const force = queued.metric.force!;
      expect(
        (await query(`espace_agents_on_duty{force="${force}"}`))[0]?.value[1],
        `nobody of ${force} is on duty`,
      ).toBe('0');

      // The rule's `for` is 2 minutes, then scrape and evaluation every 15 s, then Alertmanager's group_wait.
      const alert = await waitFor(
        'EspaceQueueWithoutAgent at the webhook receiver',
        async () => {
          for (const payload of received) {
            const found = payload.alerts.find(
              (candidate) => candidate.labels.alertname === 'EspaceQueueWithoutAgent' && candidate.status === 'firing',
            );
            if (found) return { payload, found };
          }
          return undefined;
        },
        420_000,
        2000,
      );
      expect(alert.payload.receiver).toBe('astreinte');
      expect(alert.found.labels).toMatchObject({ force, severity: 'critical', service: 'espace-mineurs' });
      expect(alert.found.annotations.summary).toContain(force);
      expect(alert.found.annotations.runbook_url).toBe('deploy/README.md#espacequeuewithoutagent');
    },
  );

  it('the conversation left, the queue is empty again for the next tests', { timeout: 180_000 }, async () => {
    if (!young) return;
    await leave({ synapse: stack.internal.synapse, bot: stack.internal.bot }, young);
    await waitFor(
      'an empty queue, as Prometheus sees it',
      async () => ((await query('sum(espace_queue_length)'))[0]?.value[1] === '0' ? true : undefined),
      120_000,
      2000,
    );
  });
});
