import { z } from 'zod';
import { FORCES } from './names.ts';

export { FORCE_LABEL, FORCES } from './names.ts';
export const Force = z.enum(FORCES);
export type Force = z.infer<typeof Force>;

export function otherForce(force: Force): Force {
  return force === 'police' ? 'gendarmerie' : 'police';
}

export const StaffRole = z.enum(['agent', 'supervisor']);
export type StaffRole = z.infer<typeof StaffRole>;

/** Roles of the rooms the bootstrap creates, stored in each room's room_role state event. */
export const RoomRole = z.enum(['force_space', 'queue', 'supervisors', 'audit']);
export type RoomRole = z.infer<typeof RoomRole>;

export const RoomRoleContent = z.object({ role: RoomRole, force: Force });
export type RoomRoleContent = z.infer<typeof RoomRoleContent>;

/** A member of staff, as the bot records them in their force space. */
export const StaffContent = z.object({
  force: Force,
  role: StaffRole,
  /** What a young person sees instead of a name. Never a real name. */
  pseudonym: z.string().min(1).max(40),
  /** A removed staff member keeps their entry with active false, so history stays explainable. */
  active: z.boolean().default(true),
});
export type StaffContent = z.infer<typeof StaffContent>;

export const DutyContent = z.object({
  onDuty: z.boolean(),
  /** How many conversations the agent takes at once. */
  capacity: z.number().int().min(1).max(10),
  updatedAt: z.number().int(),
});
export type DutyContent = z.infer<typeof DutyContent>;

/** A force's canned responses (EventType.CannedResponses), inserted into the composer for the agent to edit. */
export const CannedResponse = z.object({
  id: z.string().min(1).max(64),
  title: z.string().min(1).max(80),
  body: z.string().min(1).max(2000),
});
export type CannedResponse = z.infer<typeof CannedResponse>;

export const CannedResponsesContent = z.object({ responses: z.array(CannedResponse).max(100) });
export type CannedResponsesContent = z.infer<typeof CannedResponsesContent>;
