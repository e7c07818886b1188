import {
  ApiErrorBody,
  ConversationResponse,
  EvidenceResponse,
  parseContent,
  PublicStatus,
  TriageQuestionContent,
} from '@espace-mineurs/protocol';
import { describe, expect, it } from 'vitest';
import {
  readApiErrorBody,
  readConversationResponse,
  readEvidenceResponse,
  readPublicStatus,
  readTriageQuestion,
} from './validate.ts';

/** Each hand-written check must accept exactly what the protocol's zod schema accepts, with the same value. */
function agrees<T>(
  schema: Parameters<typeof parseContent>[0],
  read: (value: unknown) => T | undefined,
  samples: unknown[],
): void {
  for (const sample of samples) {
    const zod = parseContent(schema, sample);
    expect(read(sample), JSON.stringify(sample)).toEqual(zod.ok ? zod.value : undefined);
  }
}

const status = {
  state: 'queued',
  force: 'police',
  position: 2,
  estimatedWaitSeconds: 60,
  agentJoined: false,
  agentPseudonym: 'Sam',
  updatedAt: 5,
};

describe('the hand-written validators follow the protocol schemas', () => {
  it('PublicStatus', () => {
    agrees(PublicStatus, readPublicStatus, [
      status,
      { state: 'triage', agentJoined: false, updatedAt: 1 },
      { ...status, extra: 'dropped' },
      { ...status, state: 'lost' },
      { ...status, force: 'army' },
      { ...status, position: 0 },
      { ...status, position: 1.5 },
      { ...status, estimatedWaitSeconds: -1 },
      { ...status, agentPseudonym: 'x'.repeat(41) },
      { ...status, agentJoined: 'no' },
      { ...status, updatedAt: undefined },
      null,
      [],
      'queued',
    ]);
  });

  it('ConversationResponse', () => {
    agrees(ConversationResponse, readConversationResponse, [
      { roomId: '!a:hs', status },
      { roomId: '#a:hs', status },
      { roomId: '!a:hs', status: { ...status, state: 'x' } },
      { roomId: 3, status },
      {},
    ]);
  });

  it('EvidenceResponse and ApiErrorBody', () => {
    agrees(EvidenceResponse, readEvidenceResponse, [
      { sha256: 'a'.repeat(64), eventId: '$e' },
      { sha256: 'A'.repeat(64), eventId: '$e' },
      { sha256: 'a'.repeat(63), eventId: '$e' },
      { sha256: 'a'.repeat(64) },
    ]);
    agrees(ApiErrorBody, readApiErrorBody, [
      { error: { code: 'RATE_LIMITED', message: 'Attends.' } },
      { error: { code: 'SOMETHING', message: 'x' } },
      { error: { code: 'INTERNAL' } },
      { error: 'INTERNAL' },
    ]);
  });

  it('TriageQuestionContent', () => {
    const question = {
      questionId: 'age',
      options: [{ id: 'a', number: 1, label: '13 ans' }],
      skip: { id: 's', label: 'Passer' },
    };
    agrees(TriageQuestionContent, readTriageQuestion, [
      question,
      { ...question, expectsText: true },
      { ...question, expectsText: 'yes' },
      { ...question, expectsText: true, input: 'postal_code' },
      { ...question, input: 'phone' },
      { ...question, questionId: '' },
      { ...question, options: [{ id: 'a', number: 0, label: 'x' }] },
      { ...question, options: [{ id: 'a', number: 1, label: '' }] },
      { ...question, options: Array.from({ length: 21 }, (_, i) => ({ id: `o${i}`, number: i + 1, label: 'x' })) },
      { ...question, skip: { id: 's' } },
      { ...question, options: 'x' },
    ]);
  });
});
