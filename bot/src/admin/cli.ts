import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bridgeMatrixBotSdkLogs } from '../log.ts';
import { SafetyError } from '../runtime/safety.ts';
import { parseArgs, UsageError, type ParsedArgs } from './args.ts';
import * as commands from './commands.ts';
import { AdminError, connect, locate, type AdminContext } from './connect.ts';
import { agentEnable, agentResetPassword } from './staff-access.ts';

const HELP = `Espace mineurs — administration (agit avec le compte du service, sur la machine du service)

Usage : node bot/src/admin/cli.ts <commande> [options]

Commandes :
  agent create --force police|gendarmerie --pseudonym Alex [--role supervisor]
                                      crée un agent, avec un identifiant tiré au hasard ; affiche son
                                      identifiant et son mot de passe initial une fois
  agent disable @compte:serveur       verrouille le compte et le retire des agents actifs
  agent enable @compte:serveur        réactive un agent désactivé (compte déverrouillé, agent actif)
  agent reset-password @compte:serveur [--password-stdin]
                                      nouveau mot de passe, affiché une seule fois (ou lu sur l'entrée
                                      standard) ; toutes les sessions de l'agent sont déconnectées
  agent supervisor @compte:serveur    fait d'un agent un superviseur de sa force
  conversations [--state triage|queued|assigned|closed|abandoned] [--force F] [--json]
                                      liste les conversations (identifiants, états, dates ; jamais leur contenu)
  retention set <!salle> <durée>      durée de conservation d'une conversation close (ex. 90d), depuis sa clôture
  hold put <!salle> --supervisor @… --reason "…"
  hold lift <!salle> --supervisor @…  pose ou lève une conservation judiciaire (superviseur de la force)
  export <!salle> --by @superviseur --out DOSSIER [--verify-evidence]
                                      export JSON + HTML (fichiers 0600), tracé dans l'audit
  delete <!salle> --yes               supprime la conversation maintenant (refusé sous conservation judiciaire)
  sweep --default-period 90d          supprime les conversations dont la durée de conservation est écoulée
  audit verify [--force F] [--mirror-dir DOSSIER]
                                      vérifie les chaînes d'audit (salon et copie locale) ; nomme le premier maillon rompu
  audit mirror [--mirror-dir DOSSIER] complète la copie locale (JSON lines) depuis les salons d'audit

Options communes :
  --homeserver URL      sinon ESPACE_HOMESERVER_URL
  --state-dir DOSSIER   sinon ESPACE_STATE_DIR (contient bot-credentials.json, écrit par le bootstrap)
  --deletion-journal FICHIER
                        sinon ESPACE_DELETION_JOURNAL : le journal des suppressions du service (delete et sweep y
                        écrivent, pour qu'une restauration de sauvegarde les rejoue)
  --actor NOM           qui agit, pour l'audit (par défaut admin:<utilisateur système>)
  --mirror-dir DOSSIER  copie locale des chaînes d'audit (par défaut <state-dir>/audit) ; les actions de cette
                        commande s'inscrivent dans la chaîne « admin » du salon d'audit de la force et dans cette copie

Codes de sortie : 0 fait, 1 échec (homeserver, introuvable, refusé), 2 usage, 3 chaîne d'audit rompue.
`;

type Command = (ctx: AdminContext, args: ParsedArgs, io: commands.Output) => Promise<number>;

function pick(args: ParsedArgs): { command: Command; rest: ParsedArgs } {
  const [first, second, ...others] = args.positional;
  const shift = (count: number): ParsedArgs => ({ ...args, positional: args.positional.slice(count) });
  switch (first) {
    case 'agent': {
      const subs: Record<string, Command> = {
        create: commands.agentCreate,
        disable: commands.agentDisable,
        enable: agentEnable,
        'reset-password': agentResetPassword,
        supervisor: commands.agentSupervisor,
      };
      const sub = second !== undefined && Object.hasOwn(subs, second) ? subs[second] : undefined;
      if (!sub) throw new UsageError('agent create|disable|enable|reset-password|supervisor');
      return { command: sub, rest: shift(2) };
    }
    case 'conversations':
      return { command: commands.conversations, rest: shift(1) };
    case 'retention':
      if (second !== 'set') throw new UsageError('retention set <!salle> <durée>');
      return { command: commands.retentionSet, rest: shift(2) };
    case 'hold':
      return { command: commands.hold, rest: shift(1) };
    case 'export':
      return { command: commands.exportCommand, rest: shift(1) };
    case 'delete':
      return { command: commands.deleteNow, rest: shift(1) };
    case 'sweep':
      return { command: commands.sweep, rest: shift(1) };
    case 'audit':
      return { command: commands.audit, rest: shift(1) };
    default:
      void others;
      throw new UsageError(first ? `commande inconnue : ${first}` : 'indiquez une commande');
  }
}

/** Runs one command; returns the exit code. Never prints tokens, message bodies or triage answers. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv, io: commands.Output): Promise<number> {
  bridgeMatrixBotSdkLogs();
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
    if (args.flags.has('help') || args.positional.length === 0) {
      io.out(HELP);
      return args.flags.has('help') ? commands.EXIT.ok : commands.EXIT.usage;
    }
    const { command, rest } = pick(args);
    const where = locate(args.options, env);
    const ctx = await connect(where.homeserverUrl, where.stateDir, where.deletionJournal);
    return await command(ctx, rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`erreur d'usage : ${error.message}`);
      io.err('node bot/src/admin/cli.ts --help pour l’aide');
      return commands.EXIT.usage;
    }
    if (error instanceof AdminError || error instanceof SafetyError) {
      io.err(`refusé (${error.code}) : ${error.message}`);
      return commands.EXIT.failed;
    }
    const status = (error as { statusCode?: number }).statusCode;
    const errcode = (error as { errcode?: string }).errcode;
    io.err(
      `échec : ${status ? `le homeserver a répondu ${status} ${errcode ?? ''}`.trim() : (error as Error).message}`,
    );
    return commands.EXIT.failed;
  }
}

function isMain(): boolean {
  try {
    return (
      process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
    );
  } catch {
    return false;
  }
}

if (isMain()) {
  const code = await run(process.argv.slice(2), process.env, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  });
  process.exitCode = code;
}
