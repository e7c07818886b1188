/**
 * `npm start -- --federated`: the federated topology on this machine (docs/architecture.md, "Federated
 * topology"). Three homeservers natively on loopback, each with its own address and an IP-literal server name,
 * in a federation closed to everyone else (TLS with a CA generated for this deployment, kept in the data
 * folder); the federated bootstrap (the bot's account on each server, each force's rooms and demo staff on its
 * own server); the conversation bot, one client and one sync loop per server; the young people's site, which
 * talks to the public server and the bot only; the agent client, one dev server per force, each on its force's
 * homeserver and told the bot's three accounts; then where everything is and how to log in. Ctrl-C stops
 * everything (up.ts handles the signals).
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFederatedTopology, type FederatedTopology } from '@espace-mineurs/synapse';
import { bootstrapFederated, type FederatedBootstrapResult } from '@espace-mineurs/bot/federation';
import { loadConfig, start } from '@espace-mineurs/bot';
import { running, say, startAgentClient, startVite } from './services.ts';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dataDir = resolve(process.env.ESPACE_DATA_DIR ?? join(root, '.data'), 'federated');

const LABEL = { public: 'public (jeunes)', police: 'police', gendarmerie: 'gendarmerie' } as const;
const FORCES = ['police', 'gendarmerie'] as const;
type Force = (typeof FORCES)[number];

/** One agent client per force: the police's on ESPACE_AGENT_PORT (5174 by default), the gendarmerie's on the next. */
function agentPort(force: Force): number {
  return Number(process.env.ESPACE_AGENT_PORT ?? 5174) + FORCES.indexOf(force);
}

/**
 * Each force's agent client, on its force's homeserver. The bot's events reach an agent from two of its accounts
 * (the public server's in a young person's room, the force server's in the force's rooms): all three are listed.
 */
function startAgentClients(result: FederatedBootstrapResult): Partial<Record<Force, string>> {
  const botUserIds = (['public', 'police', 'gendarmerie'] as const).map((role) => result.servers[role].botUserId);
  const urls: Partial<Record<Force, string>> = {};
  for (const force of FORCES) {
    const client = startAgentClient(root, {
      name: `agents ${force}`,
      port: agentPort(force),
      homeserverUrl: result.servers[force].baseUrl,
      botUserIds,
    });
    if (!client) continue;
    running.push(client);
    urls[force] = `http://127.0.0.1:${agentPort(force)}`;
  }
  return urls;
}

function printSummary(
  topology: FederatedTopology,
  result: FederatedBootstrapResult,
  botUrl: string,
  webUrl: string | undefined,
  agentUrls: Partial<Record<Force, string>>,
): void {
  const line = '─'.repeat(72);
  say(`\n${line}\nEspace mineurs tourne en local, en topologie fédérée (trois serveurs, fédération fermée).\n${line}`);
  for (const role of ['public', 'police', 'gendarmerie'] as const) {
    const server = topology.servers[role];
    say(`Synapse ${LABEL[role].padEnd(16)} serveur : ${server.serverName.padEnd(20)} API client : ${server.baseUrl}`);
  }
  say(`Bot (API)                ${botUrl}   (il s'adresse aux jeunes sur le serveur public)`);
  say(`Site des jeunes          ${webUrl ?? '— pas encore disponible'}   (serveur public et bot seulement)`);
  for (const force of FORCES)
    say(
      `${`Agents ${LABEL[force]}`.padEnd(25)}${agentUrls[force] ?? '— pas encore disponible'}   (client agents, serveur ${topology.servers[force].serverName})`,
    );
  say(`Autorité de certification de la fédération : ${topology.ca.certificate}`);
  say(`Données locales : ${dataDir}`);
  say(
    `\nComptes de démonstration, par force (identifiants dans ${join(dataDir, 'state', 'demo-credentials.json')}, mode 0600) :`,
  );
  for (const force of FORCES) {
    say(
      `  ${LABEL[force]} — client agents ${agentUrls[force] ?? '(non lancé)'}, ou Element sur ${topology.servers[force].baseUrl} (« serveur d'accueil » = cette adresse) ; identifiant à taper (nom de démonstration), puis compte complet :`,
    );
    for (const account of result.demo.filter((candidate) => candidate.force === force)) {
      const fresh = result.newDemoAccounts.some((created) => created.userId === account.userId);
      const role = account.role === 'supervisor' ? 'superviseur' : 'agent';
      say(
        `    ${account.localpart.padEnd(12)} (${account.handle.padEnd(16)}) ${account.userId.padEnd(30)} ${role.padEnd(12)} « ${account.pseudonym} »${fresh ? `   mot de passe : ${account.password}` : ''}`,
      );
    }
  }
  if (result.newDemoAccounts.length === 0)
    say('  (mots de passe affichés une seule fois, à la création ; voir le fichier ci-dessus)');
  say(
    "\nLes jeunes ne parlent qu'au serveur public ; chaque force a ses salons (espace, file, superviseurs, audit) sur son serveur.",
  );
  say(
    "Un policier se connecte au client agents de la police, un gendarme à celui de la gendarmerie : chacun n'ouvre une session que sur le serveur de sa force.",
  );
  say(`${line}\nCtrl-C pour tout arrêter.`);
}

export async function startFederated(): Promise<void> {
  say('Démarrage des trois serveurs Synapse (public, police, gendarmerie)…');
  const topology = await startFederatedTopology({ dataDir: join(dataDir, 'servers') });
  running.push({ name: 'synapse (federated)', stop: () => topology.stop() });
  say('Serveurs prêts. Préparation des comptes et des salons sur chaque serveur…');
  const servers = {
    public: topology.servers.public.current()!,
    police: topology.servers.police.current()!,
    gendarmerie: topology.servers.gendarmerie.current()!,
  };
  const stateDir = join(dataDir, 'state');
  const result = await bootstrapFederated(servers, { stateDir, demo: true });
  say('Démarrage du bot de conversation (un client par serveur)…');
  const webPort = Number(process.env.ESPACE_WEB_PORT ?? 5173);
  const webOrigin = `http://127.0.0.1:${webPort}`;
  const bot = await start(
    loadConfig({
      ...process.env,
      ESPACE_HOMESERVER_URL: servers.public.baseUrl,
      ESPACE_STATE_DIR: stateDir,
      ESPACE_BOT_PORT: process.env.ESPACE_BOT_PORT ?? '8090',
      ESPACE_WEB_ORIGINS: `${webOrigin},http://localhost:${webPort}`,
    }),
  );
  running.push({ name: 'bot', stop: bot.stop });
  const web = startVite(root, 'web', 'web', webPort, {
    PUBLIC_HOMESERVER_URL: servers.public.baseUrl,
    PUBLIC_BOT_API_URL: bot.url,
  });
  if (web) running.push(web);
  const agentUrls = startAgentClients(result);
  printSummary(topology, result, bot.url, web ? webOrigin : undefined, agentUrls);
}
