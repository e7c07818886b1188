/**
 * The local stack, for `npm start`: Synapse (embedded default: native tree, SQLite), the bootstrap (bot, force
 * spaces, demo staff), the bot, the site and the agent client — whichever of them exist — then a summary of
 * where everything is. Ctrl-C (or SIGTERM) stops everything in reverse order.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHomeserver, type Homeserver } from '@espace-mineurs/synapse';
import { bootstrap, type BootstrapResult } from '@espace-mineurs/bot/bootstrap';
import { running, say, shutdown, startAgentClient, startVite } from './services.ts';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dataDir = resolve(process.env.ESPACE_DATA_DIR ?? join(root, '.data'));
const ports = {
  synapse: Number(process.env.ESPACE_SYNAPSE_PORT ?? 8008),
  bot: Number(process.env.ESPACE_BOT_PORT ?? 8090),
  web: Number(process.env.ESPACE_WEB_PORT ?? 5173),
  agent: Number(process.env.ESPACE_AGENT_PORT ?? 5174),
};

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

interface BotModule {
  start?: (config: unknown) => Promise<{ url: string; stop: () => Promise<void> }>;
  loadConfig?: (env: NodeJS.ProcessEnv, overrides?: Record<string, unknown>) => unknown;
}

async function startBot(hs: Homeserver, webOrigin: string): Promise<string | undefined> {
  const entry = join(root, 'bot', 'src', 'index.ts');
  if (!existsSync(entry)) return undefined;
  const bot = (await import(entry)) as BotModule;
  if (!bot.start || !bot.loadConfig) return undefined;
  const config = bot.loadConfig({
    ...process.env,
    ESPACE_HOMESERVER_URL: hs.baseUrl,
    ESPACE_STATE_DIR: dataDir,
    ESPACE_BOT_PORT: String(ports.bot),
    ESPACE_WEB_ORIGINS: webOrigin,
  });
  const started = await bot.start(config);
  running.push({ name: 'bot', stop: started.stop });
  return started.url;
}

function printSummary(
  hs: Homeserver,
  result: BootstrapResult,
  urls: { bot?: string; web?: string; agent?: string },
): void {
  const line = '─'.repeat(72);
  say(`\n${line}\nEspace mineurs tourne en local.\n${line}`);
  say(`Synapse ${hs.version} (${hs.source})   ${hs.baseUrl}   serveur : ${result.serverName}`);
  say(`Bot (API)                ${urls.bot ?? '— pas encore disponible'}`);
  say(`Site des jeunes          ${urls.web ?? '— pas encore disponible'}`);
  say(`Client des agents        ${urls.agent ?? '— pas encore disponible'}`);
  say(`Données locales          ${dataDir} (journal Synapse : ${hs.logFile ?? '—'})`);
  say(
    `\nComptes de démonstration (identifiant à taper, tiré au hasard ; mots de passe dans ${join(dataDir, 'demo-credentials.json')}, mode 0600) :`,
  );
  for (const account of result.demo) {
    const fresh = result.newDemoAccounts.some((created) => created.userId === account.userId);
    const role = account.role === 'supervisor' ? 'superviseur' : 'agent';
    say(
      `  ${account.localpart.padEnd(12)} (${account.handle.padEnd(16)}) ${account.force.padEnd(12)} ${role.padEnd(12)} « ${account.pseudonym} »${fresh ? `   mot de passe : ${account.password}` : ''}`,
    );
  }
  if (result.newDemoAccounts.length === 0)
    say('  (mots de passe affichés une seule fois, à la création ; voir le fichier ci-dessus)');
  say(`${line}\nCtrl-C pour tout arrêter.`);
}

async function main(): Promise<void> {
  say('Démarrage de Synapse…');
  const hs = await startHomeserver({ dataDir: join(dataDir, 'synapse'), port: ports.synapse });
  running.push({ name: 'synapse', stop: () => hs.stop() });
  say(`Synapse prêt sur ${hs.baseUrl}. Préparation des comptes et des salons…`);
  const result = await bootstrap(hs, { stateDir: dataDir, demo: true });

  const webOrigin = `http://127.0.0.1:${ports.web}`;
  const botUrl = await startBot(hs, `${webOrigin},http://localhost:${ports.web}`);
  const web = startVite(root, 'web', 'web', ports.web, {
    PUBLIC_HOMESERVER_URL: hs.baseUrl,
    PUBLIC_BOT_API_URL: botUrl ?? `http://127.0.0.1:${ports.bot}`,
  });
  if (web) running.push(web);
  const agent = startAgentClient(root, { name: 'agents', port: ports.agent, homeserverUrl: hs.baseUrl });
  if (agent) running.push(agent);

  printSummary(hs, result, {
    ...(botUrl ? { bot: botUrl } : {}),
    ...(web ? { web: webOrigin } : {}),
    ...(agent ? { agent: `http://127.0.0.1:${ports.agent}` } : {}),
  });
}

// `npm start -- --federated`: the three-homeserver topology instead (scripts/up-federated.ts).
const entry = process.argv.includes('--federated') ? (await import('./up-federated.ts')).startFederated : main;
entry().catch((error: unknown) => {
  process.stderr.write(`\nLe démarrage a échoué : ${(error as Error).message}\n`);
  void shutdown(1);
});
