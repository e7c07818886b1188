import type { StaffSpec } from './staff.ts';

/**
 * Demo staff for a local stack: two agents and one supervisor per force. Localparts are pseudonymous
 * (pn = police nationale, gn = gendarmerie nationale) and so are the names young people see.
 */
export const DEMO_STAFF: ReadonlyArray<Omit<StaffSpec, 'password' | 'resetPassword'>> = [
  { localpart: 'pn-agent-1', force: 'police', role: 'agent', pseudonym: 'Alex' },
  { localpart: 'pn-agent-2', force: 'police', role: 'agent', pseudonym: 'Sam' },
  { localpart: 'pn-superviseur-1', force: 'police', role: 'supervisor', pseudonym: 'Dominique' },
  { localpart: 'gn-agent-1', force: 'gendarmerie', role: 'agent', pseudonym: 'Charlie' },
  { localpart: 'gn-agent-2', force: 'gendarmerie', role: 'agent', pseudonym: 'Noa' },
  { localpart: 'gn-superviseur-1', force: 'gendarmerie', role: 'supervisor', pseudonym: 'Camille' },
];
