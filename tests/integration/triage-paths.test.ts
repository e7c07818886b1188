import { describe, expect, it } from 'vitest';
import { ContentKey, TriageQuestionContent } from '@espace-mineurs/protocol';
import { registerGuest } from '../support/matrix.ts';
import {
  answerTriage,
  botMessages,
  entryOf,
  openAndJoin,
  timeline,
  waitForEntry,
  waitForMessages,
  waitUntil,
  type RoomEvent,
} from '../support/conversation.ts';

/** The structured question of each of the bot's messages that carries one, in order. */
function questions(events: RoomEvent[]): TriageQuestionContent[] {
  return botMessages(events).flatMap((event) => {
    const raw = event.content[ContentKey.TriageQuestion];
    return raw === undefined ? [] : [TriageQuestionContent.parse(raw)];
  });
}

describe('the triage paths of bot/triage.yaml, with the real bot', () => {
  it('in danger: the numbers at once, then only the postal code (with « je ne sais pas »), then the priority queue', async () => {
    const guest = await registerGuest();
    const roomId = await openAndJoin(guest, { context: 'reseaux-sociaux' });
    // Victim, harassment, « Oui, je suis en danger maintenant ».
    await answerTriage(guest, roomId, ['1', '3', '1']);
    // The danger message and the next question are two messages: wait for the question, whichever it is.
    const afterDanger = botMessages(
      await waitForMessages(
        guest,
        roomId,
        'the question after the danger message',
        (events) => questions(events).length === 4,
      ),
    );
    const danger = afterDanger.find((event) => event.content[`${ContentKey.Service}.danger`] === true);
    expect(danger, 'the danger message').toBeDefined();
    // Readable in any Matrix client: the numbers are in the plain body.
    expect(String(danger!.content.body)).toMatch(/17.*112.*114/s);
    expect(danger!.content.msgtype).toBe('m.text');
    // The next question is the postal code, typed (digit keypad on the site), not the age.
    const asked = questions(afterDanger).at(-1)!;
    expect(asked.questionId).toBe('postal_code');
    expect(asked.input).toBe('postal_code');
    expect(asked.options.map((option) => option.id)).toContain('inconnu');
    expect(afterDanger.indexOf(danger!)).toBeLessThan(afterDanger.length - 1);

    await answerTriage(guest, roomId, ['je ne sais pas']);
    // No postal code: the force with the shorter wait takes it, whichever it is.
    const entry = await waitUntil('the urgent conversation in one of the queues', async () => {
      for (const force of ['police', 'gendarmerie'] as const) {
        const found = await entryOf(roomId, force);
        if (found?.state === 'queued') return found;
      }
      return undefined;
    });
    expect(entry.priority).toBe('urgent');
    expect(entry.triage).toMatchObject({ inDanger: true });
    expect(entry.triage?.ageRange).toBeUndefined();
    expect(questions(await timeline(guest, roomId)).map((question) => question.questionId)).toEqual([
      'role',
      'what',
      'danger',
      'postal_code',
    ]);
  });

  it('aged 18 or more: told kindly where adults are heard, and still helped to the end', async () => {
    const guest = await registerGuest();
    const roomId = await openAndJoin(guest, { context: 'ecole' });
    await answerTriage(guest, roomId, ['1', '3', '2', '18 ans ou plus']);
    const messages = botMessages(
      await waitForMessages(guest, roomId, 'the question after the age', (events) => questions(events).length === 5),
    );
    const note = messages.find((event) => /adultes/.test(String(event.content.body)));
    expect(note, 'the orientation for adults').toBeDefined();
    const body = String(note!.content.body);
    for (const wanted of ['17', '112', '116 006', '3919', 'Ma Sécurité', "on va quand même t'écouter"])
      expect(body).toContain(wanted);
    expect(questions(messages).at(-1)?.questionId).toBe('postal_code');
    await answerTriage(guest, roomId, ['75011']);
    const entry = await waitForEntry(
      roomId,
      'police',
      'the adult’s conversation in the police queue (75)',
      (candidate) => candidate.state === 'queued',
    );
    expect(entry.triage).toMatchObject({ ageRange: '18-plus', postalCode: '75011' });
  });
});
