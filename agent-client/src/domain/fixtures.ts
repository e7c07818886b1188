import type { ConversationEntry } from '@espace-mineurs/protocol';
import type { Me } from './model.ts';

/**
 * Test data shared by the domain unit tests. `entry` builds a queued entry and applies `overrides` as given, so a
 * test may leave out fields its state would require (an assigned entry without `claimedAt`, for instance).
 */
export const POLICE_AGENT: Me = { userId: '@pn-agent-1:test', force: 'police', role: 'agent', pseudonym: 'Alex' };
export const POLICE_SUPERVISOR: Me = {
  userId: '@pn-superviseur-1:test',
  force: 'police',
  role: 'supervisor',
  pseudonym: 'Dominique',
};
export const GENDARME: Me = { userId: '@gn-agent-1:test', force: 'gendarmerie', role: 'agent', pseudonym: 'Charlie' };

let counter = 0;
export function entry(overrides: Partial<ConversationEntry> = {}): ConversationEntry {
  counter++;
  return {
    roomId: `!room${counter}:test`,
    ticket: counter,
    state: 'queued',
    force: 'police',
    priority: 'normal',
    createdAt: 1_000,
    queuedAt: 1_000,
    triage: { text: 'Harcèlement en ligne, témoin, 13-15 ans', postalCode: '75011', skipped: false },
    ...overrides,
  } as ConversationEntry;
}
