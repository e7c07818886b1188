import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import {
  EventType,
  FORCES,
  Force,
  StaffContent,
  userIdFromStateKey,
  userStateKey,
  parseContent,
  type ConversationEntry,
} from '@espace-mineurs/protocol';
import { ensureStaffMember, opaqueLocalpart } from '../bootstrap/staff.ts';
import { ADMIN_AUDIT_EVENT, AUDIT_CHAINS, AdminAuditLog } from '../audit/admin-audit.ts';
import { AuditMirror, mirrorChain, readMirror } from '../audit/mirror.ts';
import { compareWithMirror, describeBreak, readAuditRoom, verifyChain } from '../audit/verify.ts';
import { readConversationEntries, retentionCandidates } from '../retention/entries.ts';
import { exportConversation, renderExportHtml } from '../export/export.ts';
import { setUserLocked } from '../matrix/admin.ts';
import { putStateEvent, roomStateOf, sentByBot } from '../matrix/homeserver.ts';
import {
  deleteConversation,
  liftLegalHold,
  putLegalHold,
  readSafetyState,
  startRetention,
  sweepRetention,
} from '../retention/purge.ts';
import type { Deps } from '../runtime/deps.ts';
import { DAY, parseDuration, type StaffLookup, type StaffMember } from '../runtime/safety.ts';
import { onlyKnown, required, UsageError, type ParsedArgs } from './args.ts';
import { AdminError, botUserIn, forceClient, staffServer, type AdminContext } from './connect.ts';

export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Everything on standard input (a password given with --password-stdin); absent: none can be read. */
  readStdin?(): Promise<string>;
}

/** Exit codes: 0 done, 1 failed (homeserver, not found, refused), 2 usage, 3 audit chain broken. */
export const EXIT = { ok: 0, failed: 1, usage: 2, broken: 3 } as const;

export const COMMON = ['homeserver', 'state-dir', 'mirror-dir', 'deletion-journal'] as const;

export function actorOf(args: ParsedArgs): string {
  return args.options.get('actor') ?? `admin:${userInfo().username}`;
}

function queueRooms(ctx: AdminContext): Record<Force, string> {
  return { police: ctx.forces.police.queueRoomId, gendarmerie: ctx.forces.gendarmerie.queueRoomId };
}

function recordRooms(ctx: AdminContext): Record<Force, string> {
  return { police: ctx.forces.police.supervisorsRoomId, gendarmerie: ctx.forces.gendarmerie.supervisorsRoomId };
}

function mirrorFile(ctx: AdminContext, args: ParsedArgs, force: Force, chain: string): string {
  return join(
    args.options.get('mirror-dir') ?? join(ctx.stateDir, 'audit'),
    chain === 'bot' ? `${force}.jsonl` : `${force}-${chain}.jsonl`,
  );
}

export function adminAudit(ctx: AdminContext, args: ParsedArgs): AdminAuditLog {
  const mirrors = new Map(FORCES.map((force) => [force, new AuditMirror(mirrorFile(ctx, args, force, 'admin'))]));
  return new AdminAuditLog(
    ctx.hs,
    { police: ctx.forces.police.auditRoomId, gendarmerie: ctx.forces.gendarmerie.auditRoomId },
    (force, eventId, record) =>
      mirrors.get(force)!.append(force, eventId, botUserIn(ctx, ctx.forces[force].auditRoomId), record),
  );
}

/**
 * The command line's `Deps` (runtime/deps.ts), which the bot's `Context` provides in the bot: its connection,
 * its audit log and the real clock. `staff` is added by the commands that check a supervisor (`staffLookup`),
 * so the others read no staff list.
 */
export function adminDeps(ctx: AdminContext, args: ParsedArgs): Pick<Deps, 'matrix' | 'audit' | 'now'> {
  return { matrix: ctx.hs, audit: adminAudit(ctx, args), now: Date.now };
}

export async function readStaff(ctx: AdminContext): Promise<Map<string, StaffMember & { pseudonym: string }>> {
  const staff = new Map<string, StaffMember & { pseudonym: string }>();
  for (const force of FORCES) {
    const state = await roomStateOf(ctx.hs, ctx.forces[force].spaceId);
    for (const event of state) {
      if (event.type !== EventType.Staff || !event.state_key || !sentByBot(ctx.hs, event.sender)) continue;
      const parsed = parseContent(StaffContent, event.content);
      if (parsed.ok) staff.set(userIdFromStateKey(event.state_key), parsed.value);
    }
  }
  return staff;
}

async function staffLookup(ctx: AdminContext): Promise<StaffLookup> {
  const staff = await readStaff(ctx);
  return (userId) => staff.get(userId);
}

async function findEntry(ctx: AdminContext, roomId: string): Promise<ConversationEntry> {
  const entry = (await readConversationEntries(ctx.hs, queueRooms(ctx))).find(
    (candidate) => candidate.roomId === roomId,
  );
  if (!entry)
    throw new AdminError('UNKNOWN_CONVERSATION', `aucune conversation ${roomId} dans les files des deux forces`);
  return entry;
}

function roomArg(args: ParsedArgs, index = 0): string {
  const roomId = args.positional[index];
  if (!roomId || !/^![^:]+:.+$/.test(roomId))
    throw new UsageError('indiquez l’identifiant de la salle de conversation (!…:serveur)');
  return roomId;
}

function forceArg(value: string | undefined): Force | undefined {
  if (value === undefined) return undefined;
  const parsed = Force.safeParse(value);
  if (!parsed.success) throw new UsageError(`force inconnue : ${value} (police ou gendarmerie)`);
  return parsed.data;
}

function describePeriod(ms: number): string {
  return ms % DAY === 0 ? `${ms / DAY} jour(s)` : `${Math.round(ms / 1000)} seconde(s)`;
}

function date(ts: number | undefined): string {
  return ts === undefined ? '-' : new Date(ts).toISOString().slice(0, 19) + 'Z';
}

export async function agentCreate(ctx: AdminContext, args: ParsedArgs, io: Output): Promise<number> {
  // Young people see staff Matrix IDs: the account name is drawn at random, never chosen (no force, role or name).
  if (args.options.has('localpart')) throw new UsageError("l'identifiant est tiré au hasard : retirez --localpart");
  onlyKnown(args, [...COMMON, 'force', 'pseudonym', 'role', 'actor']);
  const force = forceArg(required(args, 'force'))!;
  const role = args.options.get('role') ?? 'agent';
  if (role !== 'agent' && role !== 'supervisor') throw new UsageError(`rôle inconnu : ${role} (agent ou supervisor)`);
  const spec = {
    localpart: opaqueLocalpart(),
    force,
    role: role as 'agent' | 'supervisor',
    pseudonym: required(args, 'pseudonym'),
  };
  if (spec.pseudonym.length > 40) throw new UsageError('le pseudonyme fait 40 caractères au plus');
  // Federated, on the force's own server: its staff accounts and its space live there.
  const result = await ensureStaffMember(forceClient(ctx, force), staffServer(ctx, force), ctx.forces[force], spec);
  await adminAudit(ctx, args).write([force], '', {
    actor: actorOf(args),
    action: 'staff_create',
    at: Date.now(),
    details: { user: result.userId, role: spec.role },
  });
  io.out(`${result.userId} (${spec.role}, ${force})`);
  io.out(`identifiant de connexion : ${spec.localpart}`);
  if (result.password) io.out(`mot de passe initial (affiché une seule fois) : ${result.password}`);
  else io.out('compte déjà existant : mot de passe inchangé');
  return EXIT.ok;
}

export async function agentSupervisor(ctx: AdminContext, args: ParsedArgs, io: Output): Promise<number> {
  onlyKnown(args, [...COMMON, 'actor']);
  const userId = args.positional[0];
  if (!userId?.startsWith('@')) throw new UsageError('indiquez le compte (@…:serveur)');
  const member = (await readStaff(ctx)).get(userId);
  if (!member) throw new AdminError('NOT_STAFF', `${userId} n'est pas enregistré comme agent`);
  if (!member.active) throw new AdminError('DISABLED', `${userId} est désactivé`);
  await ensureStaffMember(forceClient(ctx, member.force), staffServer(ctx, member.force), ctx.forces[member.force], {
    localpart: userId.slice(1, userId.indexOf(':')),
    force: member.force,
    role: 'supervisor',
    pseudonym: member.pseudonym,
  });
  await adminAudit(ctx, args).write([member.force], '', {
    actor: actorOf(args),
    action: 'staff_supervisor',
    at: Date.now(),
    details: { user: userId },
  });
  io.out(`${userId} est superviseur (${member.force})`);
  return EXIT.ok;
}

export async function agentDisable(ctx: AdminContext, args: ParsedArgs, io: Output): Promise<number> {
  onlyKnown(args, [...COMMON, 'actor']);
  const userId = args.positional[0];
  if (!userId?.startsWith('@')) throw new UsageError('indiquez le compte (@…:serveur)');
  const member = (await readStaff(ctx)).get(userId);
  if (!member) throw new AdminError('NOT_STAFF', `${userId} n'est pas enregistré comme agent`);
  // Locked, not deactivated: reversible, and the history stays explainable (who claimed what).
  await setUserLocked(ctx.hs, userId, true);
  const { active: _active, ...rest } = member;
  await putStateEvent(ctx.hs, ctx.forces[member.force].spaceId, EventType.Staff, userStateKey(userId), {
    ...rest,
    active: false,
  });
  await adminAudit(ctx, args).write([member.force], '', {
    actor: actorOf(args),
    action: 'staff_disable',
    at: Date.now(),
    details: { user: userId },
  });
  io.out(`${userId} est désactivé (compte verrouillé, plus agent actif)`);
  return EXIT.ok;
}

export async function conversations(ctx: AdminContext, args: ParsedArgs, io: Output): Promise<number> {
  onlyKnown(args, [...COMMON, 'state', 'force'], ['json']);
  const state = args.options.get('state');
  const force = forceArg(args.options.get('force'));
  const safety = {
    police: await readSafetyState(ctx.hs, ctx.forces.police.supervisorsRoomId),
    gendarmerie: await readSafetyState(ctx.hs, ctx.forces.gendarmerie.supervisorsRoomId),
  };
  const rows = (await readConversationEntries(ctx.hs, queueRooms(ctx)))
    .filter((entry) => (!state || entry.state === state) && (!force || entry.force === force))
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((entry) => {
      const record = safety[entry.force].records.get(entry.roomId);
      return {
        force: entry.force,
        ticket: entry.ticket,
        state: record?.deletedAt ? 'deleted' : entry.state,
        roomId: entry.roomId,
        priority: entry.priority,
        createdAt: entry.createdAt,
        closedAt: entry.closedAt,
        // Either force's: a hold placed before a cross-force transfer stays with the force that placed it.
        legalHold: FORCES.some((force) => safety[force].holds.get(entry.roomId)?.active),
        retentionSeconds: record ? Math.round(record.periodMs / 1000) : undefined,
        deletedAt: record?.deletedAt,
      };
    });
  // Identifiers, states and dates only: never triage answers, postal codes or names.
  if (args.flags.has('json')) {
    io.out(JSON.stringify(rows, null, 2));
    return EXIT.ok;
  }
  io.out(['force', 'n°', 'état', 'salle', 'créée', 'close', 'conservation'].join('\t'));
  for (const row of rows)
    io.out(
      [
        row.force,
        row.ticket,
        row.state,
        row.roomId,
        date(row.createdAt),
        date(row.closedAt),
        row.legalHold ? 'oui' : '-',
      ].join('\t'),
    );
  io.err(`${rows.length} conversation(s)`);
  return EXIT.ok;
}

export async function retentionSet(ctx: AdminContext, args: ParsedArgs, io: Output): Promise<number> {
  onlyKnown(args, [...COMMON, 'actor']);
  const roomId = roomArg(args);
  const periodMs = parseDuration(args.positional[1] ?? '');
  if (!periodMs) throw new UsageError('indiquez la durée de conservation, par exemple 90d');
  const entry = await findEntry(ctx, roomId);
  if (entry.state !== 'closed' && entry.state !== 'abandoned')
    throw new AdminError('NOT_ENDED', `la conversation n°${entry.ticket} n'est pas terminée (${entry.state})`);
  await startRetention(ctx.hs, {
    roomId,
    recordRoomId: ctx.forces[entry.force].supervisorsRoomId,
    closedAt: entry.closedAt ?? Date.now(),
    periodMs,
    holdRoomIds: Object.values(recordRooms(ctx)),
  });
  await adminAudit(ctx, args).write([entry.force], '', {
    actor: actorOf(args),
    action: 'retention_set',
    conversation: roomId,
    at: Date.now(),
    details: { seconds: Math.round(periodMs / 1000) },
  });
  io.out(
    `conversation n°${entry.ticket} : supprimée ${describePeriod(periodMs)} après sa clôture (${date(entry.closedAt)})`,
  );
  return EXIT.ok;
}

export async function hold(ctx: AdminContext, args: ParsedArgs, io: Output): Promise<number> {
  const verb = args.positional[0];
  if (verb !== 'put' && verb !== 'lift') throw new UsageError('hold put|lift <salle> --supervisor @…');
  onlyKnown(args, [...COMMON, 'supervisor', 'reason']);
  const roomId = roomArg(args, 1);
  const entry = await findEntry(ctx, roomId);
  const request = {
    force: entry.force,
    recordRoomId: ctx.forces[entry.force].supervisorsRoomId,
    supervisorsRoomIds: Object.values(recordRooms(ctx)),
    roomId,
    supervisor: required(args, 'supervisor'),
    at: Date.now(),
  };
  const deps = { ...adminDeps(ctx, args), staff: await staffLookup(ctx) };
  if (verb === 'put') await putLegalHold(deps, { ...request, reason: required(args, 'reason') });
  else await liftLegalHold(deps, request);
  io.out(`conversation n°${entry.ticket} : conservation judiciaire ${verb === 'put' ? 'posée' : 'levée'}`);
  return EXIT.ok;
}

export async function exportCommand(ctx: AdminContext, args: ParsedArgs, io: Output): Promise<number> {
  onlyKnown(args, [...COMMON, 'out', 'by'], ['verify-evidence']);
  const roomId = roomArg(args);
  const by = required(args, 'by');
  const entry = await findEntry(ctx, roomId);
  const member = (await staffLookup(ctx))(by);
  if (!member?.active || member.role !== 'supervisor' || member.force !== entry.force)
    throw new AdminError('NOT_SUPERVISOR', `${by} n'est pas superviseur actif de la force ${entry.force}`);
  const doc = await exportConversation(ctx.hs, roomId, {
    exportedBy: by,
    now: Date.now(),
    ...(args.flags.has('verify-evidence') ? { download: (mxc: string) => ctx.hs.download(mxc) } : {}),
  });
  const dir = required(args, 'out');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const base = join(dir, `conversation-${entry.force}-${entry.ticket}`);
  writeFileSync(`${base}.json`, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
  writeFileSync(`${base}.html`, renderExportHtml(doc), { mode: 0o600 });
  await adminAudit(ctx, args).write([entry.force], '', {
    actor: by,
    action: 'export',
    conversation: roomId,
    at: Date.now(),
    details: { sha256: doc.documentSha256, events: doc.events.length },
  });
  io.out(`${base}.json`);
  io.out(`${base}.html`);
  io.err(`${doc.events.length} événement(s), ${doc.evidence.length} image(s), empreinte ${doc.documentSha256}`);
  return EXIT.ok;
}

export async function deleteNow(ctx: AdminContext, args: ParsedArgs, io: Output): Promise<number> {
  onlyKnown(args, [...COMMON, 'actor'], ['yes']);
  const roomId = roomArg(args);
  const entry = await findEntry(ctx, roomId);
  if (!args.flags.has('yes'))
    throw new UsageError(
      `la suppression est définitive : relancez avec --yes pour supprimer la conversation n°${entry.ticket}`,
    );
  const result = await deleteConversation(
    adminDeps(ctx, args),
    {
      force: entry.force,
      recordRoomId: ctx.forces[entry.force].supervisorsRoomId,
      holdRoomIds: Object.values(recordRooms(ctx)),
      roomId,
      actor: actorOf(args),
      reason: 'manual',
      at: Date.now(),
    },
    ctx.deletionJournal ? { journal: ctx.deletionJournal } : {},
  );
  io.out(
    `conversation n°${entry.ticket} : ${result.outcome === 'deleted' ? `supprimée en ${result.durationMs} ms (${result.mediaDeleted} média(s))` : 'déjà supprimée'}`,
  );
  return EXIT.ok;
}

export async function sweep(ctx: AdminContext, args: ParsedArgs, io: Output): Promise<number> {
  onlyKnown(args, [...COMMON, 'default-period']);
  const defaultPeriodMs = parseDuration(args.options.get('default-period') ?? '');
  if (!defaultPeriodMs)
    throw new UsageError(
      '--default-period est obligatoire (par exemple 90d) : la durée des conversations closes sans durée propre',
    );
  const report = await sweepRetention(adminDeps(ctx, args), {
    recordRooms: recordRooms(ctx),
    candidates: async () => retentionCandidates(await readConversationEntries(ctx.hs, queueRooms(ctx))),
    defaultPeriodMs,
    ...(ctx.deletionJournal ? { deletion: { journal: ctx.deletionJournal } } : {}),
  });
  io.out(
    `supprimées : ${report.deleted.length}, sous conservation : ${report.held}, en attente : ${report.waiting}, échecs : ${report.failed.length}`,
  );
  for (const failure of report.failed) io.err(`échec ${failure.roomId} : ${failure.code}`);
  return report.failed.length ? EXIT.failed : EXIT.ok;
}

export async function audit(ctx: AdminContext, args: ParsedArgs, io: Output): Promise<number> {
  const verb = args.positional[0];
  if (verb !== 'verify' && verb !== 'mirror') throw new UsageError('audit verify|mirror');
  onlyKnown(args, [...COMMON, 'force']);
  const only = forceArg(args.options.get('force'));
  let broken = false;
  for (const force of FORCES.filter((candidate) => !only || candidate === only)) {
    for (const chain of AUDIT_CHAINS) {
      const room = await readAuditRoom(ctx.hs, ctx.forces[force].auditRoomId, chain.type);
      const file = mirrorFile(ctx, args, force, chain.name);
      if (verb === 'mirror') {
        io.out(
          `${force}/${chain.name} : ${await new AuditMirror(file).catchUp(force, room)} entrée(s) ajoutée(s) à ${file}`,
        );
        continue;
      }
      // The force's bot account writes its audit room (federated, on the force's server).
      const trustedSender = botUserIn(ctx, ctx.forces[force].auditRoomId);
      const report = verifyChain(room, { trustedSender });
      broken ||= !report.ok;
      io.out(`${force}/${chain.name} (salon) : ${describeBreak(report)}`);
      const mirror = await readMirror(file);
      if (mirror.lines.length === 0 && mirror.unreadable.length === 0) continue;
      const mirrored = mirrorChain(mirror, force);
      const mirrorReport = verifyChain(mirrored, { trustedSender });
      const divergence = compareWithMirror(room, mirrored);
      broken ||= !mirrorReport.ok || divergence !== undefined || mirror.unreadable.length > 0;
      io.out(`${force}/${chain.name} (copie ${file}) : ${describeBreak(mirrorReport)}`);
      if (mirror.unreadable.length) io.out(`  lignes illisibles : ${mirror.unreadable.join(', ')}`);
      if (divergence)
        io.out(
          `  différence avec le salon : ${divergence.kind} à l'entrée n°${divergence.index} (${divergence.eventId})`,
        );
    }
  }
  return broken ? EXIT.broken : EXIT.ok;
}

export { ADMIN_AUDIT_EVENT };
