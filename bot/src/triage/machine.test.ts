import { describe, expect, it } from 'vitest';
import { BOT_DIR } from '../config.ts';
import { join } from 'node:path';
import { loadTriageDefinition, parseTriageDefinition } from './definition.ts';
import { answerTriage, startTriage, summarize, type TriageStep } from './machine.ts';
import { departmentOf, isValidPostalCode } from './postal-code.ts';

const definition = loadTriageDefinition(join(BOT_DIR, 'triage.yaml'));

function run(answers: string[], preset: Record<string, string> = {}): TriageStep {
  let step = startTriage(definition, preset);
  for (const body of answers) step = answerTriage(definition, step.progress, { body });
  return step;
}

describe('the shipped triage file', () => {
  it('asks the six questions of the design, in French', () => {
    expect(definition.questions.map((question) => question.id)).toEqual([
      'context',
      'role',
      'what',
      'danger',
      'age',
      'postal_code',
    ]);
  });
});

describe('triage machine', () => {
  it('starts with an introduction and the first question', () => {
    const step = startTriage(definition);
    expect(step.replies.map((reply) => reply.kind)).toEqual(['intro', 'question']);
    expect(step.progress.current).toBe('context');
  });

  it('skips a question answered on the site', () => {
    const step = startTriage(definition, { context: 'ecole' });
    expect(step.progress.current).toBe('role');
    expect(step.progress.answers).toEqual({ context: 'ecole' });
    expect(startTriage(definition, { context: 'not-an-option' }).progress.current).toBe('context');
  });

  it('accepts numbers, labels, aliases and button payloads', () => {
    let step = startTriage(definition);
    step = answerTriage(definition, step.progress, { body: '2' });
    expect(step.progress.answers.context).toBe('reseaux-sociaux');
    step = answerTriage(definition, step.progress, { body: "J'en suis TÉMOIN" });
    expect(step.progress.answers.role).toBe('temoin');
    step = answerTriage(definition, step.progress, {
      body: 'Du harcèlement',
      payload: { questionId: 'what', optionId: 'sextorsion' },
    });
    expect(step.progress.answers.what).toBe('sextorsion');
  });

  it('asks again kindly after an unusable answer, without moving on', () => {
    const start = startTriage(definition);
    const step = answerTriage(definition, start.progress, { body: 'euh je sais pas trop' });
    expect(step.replies).toEqual([{ kind: 'retry', question: definition.questions[0] }]);
    expect(step.progress.current).toBe('context');
    expect(step.progress.retries).toBe(1);
    expect(answerTriage(definition, step.progress, { body: '9' }).replies[0]?.kind).toBe('retry');
  });

  it('shows the emergency numbers at once, raises priority, asks only the postal code, then queues', () => {
    const step = run(['1', '1', '1', '1']);
    expect(step.replies.map((reply) => reply.kind)).toEqual(['danger', 'question']);
    expect(step.progress.urgent).toBe(true);
    // Not the age: the one question routing needs, with « je ne sais pas » among its options.
    expect(step.progress.current).toBe('postal_code');
    const postal = definition.questions.find((question) => question.id === 'postal_code')!;
    expect(postal.options.map((option) => option.id)).toContain('inconnu');
    const done = answerTriage(definition, step.progress, { body: '93200' });
    expect(done.progress).toMatchObject({ done: true, urgent: true, skipped: false });
    expect(done.progress.answers.age).toBeUndefined();
    expect(done.replies).toEqual([{ kind: 'done', skipped: false }]);
    expect(summarize(definition, done.progress)).toMatchObject({ inDanger: true, postalCode: '93200' });
    expect(answerTriage(definition, step.progress, { body: 'je sais pas' }).progress).toMatchObject({
      done: true,
      urgent: true,
    });
  });

  it('goes straight to the queue in danger when the postal code was already given', () => {
    const reordered = parseTriageDefinition({
      ...definition,
      questions: [
        ...definition.questions.filter((question) => question.id !== 'danger'),
        definition.questions.find((question) => question.id === 'danger'),
      ],
    });
    let before = startTriage(reordered);
    for (const body of ['1', '1', '1', '3', '75011']) before = answerTriage(reordered, before.progress, { body });
    expect(before.progress.current).toBe('danger');
    const step = answerTriage(reordered, before.progress, { body: '1' });
    expect(step.replies.map((reply) => reply.kind)).toEqual(['danger', 'done']);
    expect(step.progress).toMatchObject({ done: true, urgent: true });
  });

  it('refuses a danger shortcut naming a question that does not exist', () => {
    expect(() =>
      parseTriageDefinition({ ...definition, danger: { ...definition.danger, ask: ['code_postal'] } }),
    ).toThrow(/danger\.ask\.0/);
  });

  it('keeps helping someone aged 18 or more, and tells them where adults are heard', () => {
    const step = run(['1', '1', '1', '2', '5']);
    expect(step.progress.answers.age).toBe('18-plus');
    expect(step.progress.current).toBe('postal_code');
    expect(step.replies.map((reply) => reply.kind)).toEqual(['note', 'question']);
    const first = step.replies[0];
    const note = first?.kind === 'note' ? first.text : '';
    for (const number of ['17', '3919', '116 006', 'Ma Sécurité']) expect(note).toContain(number);
    expect(note).toMatch(/on va quand même t'écouter/);
  });

  it('lets the young person skip to a human at any question', () => {
    const byNumber = run(['1', '3']);
    expect(byNumber.progress.done).toBe(true);
    expect(byNumber.progress.skipped).toBe(true);
    expect(byNumber.replies).toEqual([{ kind: 'done', skipped: true }]);
    expect(run(["je veux parler à quelqu'un tout de suite"]).progress.skipped).toBe(true);
    const start = startTriage(definition);
    expect(
      answerTriage(definition, start.progress, {
        body: 'x',
        payload: { questionId: 'context', optionId: 'parler-maintenant' },
      }).progress.done,
    ).toBe(true);
  });

  it('validates postal codes: mainland, Corsica, overseas; refuses impossible ones', () => {
    const before = run(['1', '1', '1', '2', '3']);
    expect(before.progress.current).toBe('postal_code');
    expect(answerTriage(definition, before.progress, { body: '00100' }).replies[0]?.kind).toBe('retry');
    expect(answerTriage(definition, before.progress, { body: '96000' }).replies[0]?.kind).toBe('retry');
    for (const code of ['75011', '20000', '97400', '98800', '01000']) {
      const step = answerTriage(definition, before.progress, { body: `c'est ${code}` });
      expect(step.progress.answers.postal_code, code).toBe(code);
      expect(step.progress.done).toBe(true);
    }
    expect(answerTriage(definition, before.progress, { body: 'je sais pas' }).progress.answers.postal_code).toBe(
      'inconnu',
    );
    expect(isValidPostalCode('2A000')).toBe(false);
    expect(departmentOf('97133')).toBe('971');
  });

  it('summarizes for agents with ids and a French line', () => {
    const step = run(['3', '1', '3', '2', '3', '93200']);
    const summary = summarize(definition, step.progress);
    expect(summary).toMatchObject({
      context: 'ecole',
      role: 'victime',
      what: 'harcelement',
      inDanger: false,
      ageRange: '13-14',
      postalCode: '93200',
      skipped: false,
    });
    expect(summary.text).toContain('Du harcèlement ou du cyberharcèlement');
  });

  it('ignores answers once finished', () => {
    const done = run(['1', 'parler']);
    expect(answerTriage(definition, done.progress, { body: '1' }).replies).toEqual([]);
  });

  it('refuses a triage file with duplicate ids, naming the path', () => {
    expect(() =>
      parseTriageDefinition({ ...definition, questions: [definition.questions[0], definition.questions[0]] }),
    ).toThrow(/questions\.1\.id/);
  });
});
