import type {
  ApiErrorBody,
  ApiErrorCode,
  ConversationResponse,
  EvidenceResponse,
  PublicStatus,
  TriageQuestionContent,
} from '@espace-mineurs/protocol';
import { API_ERROR_CODES, CONVERSATION_STATES, FORCES } from '@espace-mineurs/protocol/names';

/**
 * The few shapes the site reads from the bot and the room, checked by hand: the protocol's zod schemas weigh
 * 26 KB of JavaScript, more than the whole chat, on a cheap phone. Each check follows its schema in
 * protocol/src (validate.test.ts runs both on the same samples, so they cannot drift apart). Unknown keys are
 * dropped, as zod does.
 */
type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);
const isString = (value: unknown, min = 0, max = Infinity): value is string =>
  typeof value === 'string' && value.length >= min && value.length <= max;
const oneOf = <T extends string>(values: readonly T[], value: unknown): value is T =>
  (values as readonly unknown[]).includes(value);

export function readPublicStatus(value: unknown): PublicStatus | undefined {
  if (!isObject(value)) return undefined;
  const { state, force, position, estimatedWaitSeconds, agentJoined, agentPseudonym, updatedAt } = value;
  if (!oneOf(CONVERSATION_STATES, state) || typeof agentJoined !== 'boolean' || !isInt(updatedAt)) return undefined;
  if (force !== undefined && !oneOf(FORCES, force)) return undefined;
  if (position !== undefined && !(isInt(position) && position >= 1)) return undefined;
  if (estimatedWaitSeconds !== undefined && !(isInt(estimatedWaitSeconds) && estimatedWaitSeconds >= 0))
    return undefined;
  if (agentPseudonym !== undefined && !isString(agentPseudonym, 0, 40)) return undefined;
  const status: PublicStatus = { state, agentJoined, updatedAt };
  if (force !== undefined) status.force = force;
  if (position !== undefined) status.position = position;
  if (estimatedWaitSeconds !== undefined) status.estimatedWaitSeconds = estimatedWaitSeconds;
  if (agentPseudonym !== undefined) status.agentPseudonym = agentPseudonym;
  return status;
}

export function readConversationResponse(value: unknown): ConversationResponse | undefined {
  if (!isObject(value) || !isString(value.roomId) || !value.roomId.startsWith('!')) return undefined;
  const status = readPublicStatus(value.status);
  return status ? { roomId: value.roomId, status } : undefined;
}

export function readEvidenceResponse(value: unknown): EvidenceResponse | undefined {
  if (!isObject(value) || !isString(value.sha256) || !/^[0-9a-f]{64}$/.test(value.sha256) || !isString(value.eventId))
    return undefined;
  return { sha256: value.sha256, eventId: value.eventId };
}

export function readApiErrorBody(value: unknown): ApiErrorBody | undefined {
  if (!isObject(value) || !isObject(value.error)) return undefined;
  const { code, message } = value.error;
  if (!oneOf<ApiErrorCode>(API_ERROR_CODES, code) || !isString(message)) return undefined;
  return { error: { code, message } };
}

export function readTriageQuestion(value: unknown): TriageQuestionContent | undefined {
  if (
    !isObject(value) ||
    !isString(value.questionId, 1, 64) ||
    !Array.isArray(value.options) ||
    value.options.length > 20
  )
    return undefined;
  const options: TriageQuestionContent['options'] = [];
  for (const option of value.options as unknown[]) {
    if (
      !isObject(option) ||
      !isString(option.id, 1, 64) ||
      !isInt(option.number) ||
      option.number < 1 ||
      !isString(option.label, 1, 200)
    )
      return undefined;
    options.push({ id: option.id, number: option.number, label: option.label });
  }
  const { expectsText, input, skip } = value;
  if (expectsText !== undefined && typeof expectsText !== 'boolean') return undefined;
  if (input !== undefined && input !== 'postal_code') return undefined;
  const question: TriageQuestionContent = { questionId: value.questionId, options, expectsText: expectsText ?? false };
  if (input !== undefined) question.input = input;
  if (skip !== undefined) {
    if (!isObject(skip) || !isString(skip.id) || !isString(skip.label)) return undefined;
    question.skip = { id: skip.id, label: skip.label };
  }
  return question;
}
