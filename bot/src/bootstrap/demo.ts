import type { StaffSpec } from './staff.ts';

/**
 * Demo staff for a local stack: two agents and one supervisor per force. The handle (pn = police nationale,
 * gn = gendarmerie nationale) names the account in docs, tests and `npm start`'s summary only; the account
 * itself gets an opaque random localpart (`opaqueLocalpart`), kept with its password in demo-credentials.json.
 */
export const DEMO_STAFF: ReadonlyArray<
  Omit<StaffSpec, 'localpart' | 'password' | 'resetPassword'> & { handle: string }
> = [
  { handle: 'pn-agent-1', force: 'police', role: 'agent', pseudonym: 'Alex' },
  { handle: 'pn-agent-2', force: 'police', role: 'agent', pseudonym: 'Sam' },
  { handle: 'pn-superviseur-1', force: 'police', role: 'supervisor', pseudonym: 'Dominique' },
  { handle: 'gn-agent-1', force: 'gendarmerie', role: 'agent', pseudonym: 'Charlie' },
  { handle: 'gn-agent-2', force: 'gendarmerie', role: 'agent', pseudonym: 'Noa' },
  { handle: 'gn-superviseur-1', force: 'gendarmerie', role: 'supervisor', pseudonym: 'Camille' },
];
