import { FORCES, type Force } from '@espace-mineurs/protocol';
import { departmentOf } from '../triage/postal-code.ts';
import type { RoutingRules } from './rules.ts';

/** What routing knows of one force at the moment of the decision. */
export interface ForceLoad {
  /** Agents on duty. */
  onDuty: number;
  /** Free places: sum over agents on duty of capacity minus conversations they hold. */
  freeSlots: number;
  /** Conversations waiting in its queue. */
  queued: number;
}

export type RoutingDecision =
  { force: Force; reason: 'rule'; rule: string } | { force: Force; reason: 'shortest_wait' };

/** Expected wait in "conversations ahead per free agent": lower is sooner. Infinity when nobody is on duty. */
export function expectedWait(load: ForceLoad): number {
  if (load.onDuty === 0) return Number.POSITIVE_INFINITY;
  if (load.freeSlots > load.queued) return 0;
  return (load.queued + 1 - load.freeSlots) / load.onDuty;
}

export function ruleFor(
  rules: RoutingRules,
  postalCode: string | undefined,
): RoutingRules['rules'][number] | undefined {
  const department = postalCode ? departmentOf(postalCode) : undefined;
  if (!department) return undefined;
  return rules.rules.find((rule) => rule.departments.includes(department));
}

/**
 * The competent force when a rule knows the postal code; otherwise the force where the young person will wait
 * least (ties: fewer waiting, then the police, so the decision is deterministic).
 */
export function route(
  rules: RoutingRules,
  postalCode: string | undefined,
  loads: Record<Force, ForceLoad>,
): RoutingDecision {
  const rule = ruleFor(rules, postalCode);
  if (rule) return { force: rule.force, reason: 'rule', rule: rule.name };
  const [best] = [...FORCES].sort((a, b) => {
    const wait = expectedWait(loads[a]) - expectedWait(loads[b]);
    if (wait !== 0 && !Number.isNaN(wait)) return wait;
    return loads[a].queued - loads[b].queued;
  });
  return { force: best!, reason: 'shortest_wait' };
}

/**
 * Overflow: a conversation waiting longer than the limit moves to the other force, once, and only when someone
 * there is on duty (moving it to an empty room helps nobody).
 */
export function shouldOverflow(input: {
  waitedSeconds: number;
  limitSeconds: number;
  alreadyMoved: boolean;
  /** Only who is on duty there matters: the whole load counts every conversation, and this runs per queued one. */
  other: Pick<ForceLoad, 'onDuty'>;
}): boolean {
  return !input.alreadyMoved && input.waitedSeconds >= input.limitSeconds && input.other.onDuty > 0;
}
