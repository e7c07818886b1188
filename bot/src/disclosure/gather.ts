import type { Connection, DisclosedData, TriageSummary } from '@espace-mineurs/protocol';
import { whois } from '../matrix/admin.ts';
import { createRoom, sendRoomEvent, type Homeserver } from '../matrix/homeserver.ts';
import { DisclosureEventType, type DisclosureRequest } from './request.ts';
import { SafetyError } from '../runtime/safety.ts';
import type { Deps } from '../runtime/deps.ts';
import { staffRoomPowerLevels } from '../bootstrap/power-levels.ts';

export type { Connection } from '@espace-mineurs/protocol';

/** What the bot discloses (the protocol's DisclosedData, always naming the guest): only to the requester and the approver, never in a log. */
export type DisclosureContent = DisclosedData & { guest: string };

/** What Synapse knows of a guest's connections (admin whois API), most recent first. */
export async function fetchConnections(hs: Homeserver, guest: string): Promise<Connection[]> {
  const known = await whois(hs, guest);
  const connections: Connection[] = [];
  for (const device of Object.values(known.devices ?? {})) {
    for (const session of device.sessions ?? []) {
      for (const connection of session.connections ?? []) {
        if (typeof connection.ip !== 'string') continue;
        connections.push({
          ip: connection.ip,
          userAgent: typeof connection.user_agent === 'string' ? connection.user_agent : '',
          lastSeen: typeof connection.last_seen === 'number' ? connection.last_seen : 0,
        });
      }
    }
  }
  return connections.sort((a, b) => b.lastSeen - a.lastSeen);
}

export async function gatherDisclosure(
  hs: Homeserver,
  input: { request: DisclosureRequest; guest: string; triage?: TriageSummary; now: number },
): Promise<DisclosureContent> {
  if (input.request.status !== 'approved')
    throw new SafetyError('NOT_APPROVED', "La levée d'anonymat n'a pas été approuvée.");
  const connections = await fetchConnections(hs, input.guest);
  return {
    request: input.request.id,
    conversation: input.request.conversation,
    guest: input.guest,
    connections,
    ...(input.triage?.postalCode ? { postalCode: input.triage.postalCode } : {}),
    ...(input.triage?.text ? { triage: input.triage.text } : {}),
    ...(input.triage?.inDanger !== undefined ? { inDanger: input.triage.inDanger } : {}),
    gatheredAt: input.now,
  };
}

const PARIS = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'medium', timeZone: 'Europe/Paris' });

/** The disclosure as a Matrix message readable in any client, with the data as structured content too. */
export function disclosureMessage(content: DisclosureContent, request: DisclosureRequest): Record<string, unknown> {
  const lines = [
    `Levée d'anonymat approuvée par ${request.decidedBy ?? '?'} à la demande de ${request.requester}.`,
    `Motif : ${request.reason}`,
    `Conversation : ${content.conversation}`,
    `Code postal indiqué : ${content.postalCode ?? 'non indiqué'}`,
    `En danger immédiat (déclaré) : ${content.inDanger === undefined ? 'non renseigné' : content.inDanger ? 'oui' : 'non'}`,
    `Tri : ${content.triage ?? 'non renseigné'}`,
    content.connections.length
      ? `Connexions connues du serveur (les plus récentes d'abord, heure de Paris) :`
      : 'Le serveur ne connaît aucune connexion de ce compte (adresses conservées 7 jours au plus).',
    ...content.connections.map(
      (connection) =>
        `- ${connection.ip} — ${PARIS.format(connection.lastSeen)} — ${connection.userAgent || 'navigateur inconnu'}`,
    ),
    'Ces informations sont confidentielles : ne les recopiez que dans la procédure de mise en sécurité.',
  ];
  return { msgtype: 'm.text', body: lines.join('\n'), [DisclosureEventType]: content };
}

/**
 * A private room for one disclosure: the bot invites the requester and the approver and nobody else; only the
 * bot may invite, change state or redact; both may write to coordinate. Not federated, no guests.
 */
export async function createDisclosureRoom(
  hs: Homeserver,
  request: DisclosureRequest,
  options: { retentionMs?: number } = {},
): Promise<string> {
  if (request.status !== 'approved' || !request.decidedBy)
    throw new SafetyError('NOT_APPROVED', "La levée d'anonymat n'a pas été approuvée.");
  return createRoom(hs, {
    preset: 'private_chat',
    visibility: 'private',
    name: "Levée d'anonymat",
    topic: 'Informations confidentielles, réservées au demandeur et au superviseur qui a approuvé.',
    invite: [request.requester, request.decidedBy],
    is_direct: false,
    creation_content: { 'm.federate': false },
    // The same fence as the other staff rooms: only the bot changes state or invites.
    power_level_content_override: staffRoomPowerLevels(hs.userId),
    initial_state: [
      { type: 'm.room.guest_access', state_key: '', content: { guest_access: 'forbidden' } },
      { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'invited' } },
      ...(options.retentionMs
        ? [{ type: 'm.room.retention', state_key: '', content: { max_lifetime: options.retentionMs } }]
        : []),
    ],
  });
}

/**
 * On approval: gathers, creates the private room, posts the disclosure there, audits it. The transaction id is
 * derived from the request, so a retry of the post never discloses twice in that room. For a retry after a crash,
 * pass the room created the first time (`onRoom` lets the caller store it with the request before anything is
 * posted).
 */
export async function disclose(
  deps: Pick<Deps, 'matrix' | 'audit'>,
  input: {
    request: DisclosureRequest;
    guest: string;
    triage?: TriageSummary;
    now: number;
    retentionMs?: number;
    roomId?: string;
    onRoom?: (roomId: string) => Promise<void>;
    /** Federated topology: the public server, which knows the guest's connections; `deps.matrix` is then the force's. */
    whoisFrom?: Homeserver;
  },
): Promise<{ roomId: string; eventId: string; connections: number }> {
  const { matrix: hs, audit } = deps;
  const content = await gatherDisclosure(input.whoisFrom ?? hs, input);
  const roomId =
    input.roomId ??
    (await createDisclosureRoom(hs, input.request, input.retentionMs ? { retentionMs: input.retentionMs } : {}));
  if (!input.roomId) await input.onRoom?.(roomId);
  const eventId = await sendRoomEvent(
    hs,
    roomId,
    'm.room.message',
    disclosureMessage(content, input.request),
    `disclosure-${input.request.id}`,
  );
  await audit.write([input.request.force], `disclosure:${input.request.id}`, {
    actor: hs.userId,
    action: 'disclosure',
    conversation: input.request.conversation,
    at: input.now,
    details: { request: input.request.id, connections: content.connections.length, room: roomId },
  });
  return { roomId, eventId, connections: content.connections.length };
}

/** What the young person is told once a disclosure is approved (posted by the caller in their room). */
export const YOUNG_PERSON_HELP_IS_COMING =
  "Nous sommes très inquiets pour ta sécurité. Pour te protéger, nous allons envoyer quelqu'un pour t'aider. " +
  'Si tu le peux, reste dans un endroit sûr et garde ton téléphone avec toi. En cas de danger, appelle le 17 ou le 112, ou envoie un SMS au 114.';
