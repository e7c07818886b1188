import { EventType, userStateKey } from '@espace-mineurs/protocol';
import { generatePassword } from '../bootstrap/staff.ts';
import { adminUser, putAdminUser, setUserLocked, type AdminUser } from '../matrix/admin.ts';
import { putStateEvent } from '../matrix/homeserver.ts';
import { onlyKnown, UsageError, type ParsedArgs } from './args.ts';
import { actorOf, adminAudit, COMMON, EXIT, readStaff, type Output } from './commands.ts';
import { AdminError, type AdminContext } from './connect.ts';

/** Synapse's password policy in synapse/config/homeserver.template.yaml (password_config.policy). */
const MIN_PASSWORD_LENGTH = 12;

function userArg(args: ParsedArgs): string {
  const userId = args.positional[0];
  if (!userId?.startsWith('@') || !userId.includes(':')) throw new UsageError('indiquez le compte (@…:serveur)');
  return userId;
}

/** Only accounts registered as staff: never a guest's, never the bot's own. */
async function staffMember(ctx: AdminContext, userId: string) {
  const member = (await readStaff(ctx)).get(userId);
  if (!member) throw new AdminError('NOT_STAFF', `${userId} n'est pas enregistré comme agent`);
  return member;
}

async function accountOf(ctx: AdminContext, userId: string): Promise<AdminUser> {
  const account = await adminUser(ctx.hs, userId);
  if (!account)
    throw new AdminError('NO_ACCOUNT', `${userId} est enregistré comme agent mais le serveur ne connaît pas ce compte`);
  return account;
}

async function passwordFromStdin(io: Output): Promise<string> {
  if (!io.readStdin) throw new UsageError('--password-stdin : rien à lire sur l’entrée standard');
  const text = await io.readStdin();
  const lines = text.split(/\r?\n/).filter((line) => line !== '');
  if (lines.length !== 1) throw new UsageError('--password-stdin attend le mot de passe seul, sur une ligne');
  const password = lines[0]!;
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new UsageError(`le mot de passe fait au moins ${MIN_PASSWORD_LENGTH} caractères`);
  if (password.trim() !== password) throw new UsageError('le mot de passe ne commence ni ne finit par un espace');
  return password;
}

/**
 * A new password for a member of staff, every session of theirs logged out. Generated and printed once, or read
 * from standard input (so it never appears in a process list or a shell history). The audit records who reset
 * whose password, never the password.
 */
export async function agentResetPassword(ctx: AdminContext, args: ParsedArgs, io: Output): Promise<number> {
  onlyKnown(args, [...COMMON, 'actor'], ['password-stdin']);
  const userId = userArg(args);
  const given = args.flags.has('password-stdin') ? await passwordFromStdin(io) : undefined;
  const member = await staffMember(ctx, userId);
  if ((await accountOf(ctx, userId)).deactivated)
    throw new AdminError('DEACTIVATED', `${userId} est désactivé définitivement : créez un nouveau compte`);
  const password = given ?? generatePassword();
  await putAdminUser(ctx.hs, userId, { password, logout_devices: true });
  await adminAudit(ctx, args).write([member.force], '', {
    actor: actorOf(args),
    action: 'staff_password_reset',
    at: Date.now(),
    details: { user: userId },
  });
  io.out(`${userId} : mot de passe changé, toutes ses sessions sont déconnectées`);
  if (!given) io.out(`nouveau mot de passe (affiché une seule fois) : ${password}`);
  if (!member.active) io.err(`attention : ${userId} reste désactivé ; « agent enable ${userId} » le réactive`);
  return EXIT.ok;
}

/** Undoes `agent disable`: the account is unlocked and counted among the force's active staff again. */
export async function agentEnable(ctx: AdminContext, args: ParsedArgs, io: Output): Promise<number> {
  onlyKnown(args, [...COMMON, 'actor']);
  const userId = userArg(args);
  const member = await staffMember(ctx, userId);
  const account = await accountOf(ctx, userId);
  if (account.deactivated)
    throw new AdminError('DEACTIVATED', `${userId} est désactivé définitivement : créez un nouveau compte`);
  if (member.active && !account.locked) {
    io.out(`${userId} est déjà actif`);
    return EXIT.ok;
  }
  await setUserLocked(ctx.hs, userId, false);
  await putStateEvent(ctx.hs, ctx.forces[member.force].spaceId, EventType.Staff, userStateKey(userId), {
    ...member,
    active: true,
  });
  await adminAudit(ctx, args).write([member.force], '', {
    actor: actorOf(args),
    action: 'staff_enable',
    at: Date.now(),
    details: { user: userId },
  });
  io.out(`${userId} est réactivé (compte déverrouillé, agent actif de la force ${member.force})`);
  return EXIT.ok;
}
