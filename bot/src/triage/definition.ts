import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const Id = z.string().regex(/^[a-z0-9_-]{1,64}$/, 'lowercase letters, digits, - and _ only');

const Option = z.object({
  id: Id,
  label: z.string().min(1).max(200),
  aliases: z.array(z.string().min(1)).default([]),
  /** Choosing it raises the priority and shows the danger message at once. */
  urgent: z.boolean().default(false),
  /** Said right after this option is chosen (e.g. where adults are heard, for someone aged 18 or more). */
  note: z.string().min(1).max(1500).optional(),
});

const Question = z.object({
  id: Id,
  text: z.string().min(1).max(1000),
  input: z.enum(['postal_code']).optional(),
  options: z.array(Option).max(15).default([]),
});

export const TriageDefinition = z
  .object({
    intro: z.string().min(1),
    retry: z.string().min(1),
    skip: z.object({ id: Id, label: z.string().min(1), aliases: z.array(z.string()).default([]) }),
    danger: z.object({
      text: z.string().min(1),
      /**
       * After an urgent answer, the only questions still asked (when not answered yet), in the file's order;
       * then the young person goes straight to the queue. Empty: straight to the queue.
       */
      ask: z.array(Id).default([]),
    }),
    done: z.string().min(1),
    skipped: z.string().min(1),
    questions: z.array(Question).min(1),
  })
  .superRefine((definition, context) => {
    const ids = new Set<string>();
    definition.questions.forEach((question, index) => {
      if (ids.has(question.id))
        context.addIssue({
          code: 'custom',
          path: ['questions', index, 'id'],
          message: `duplicate question id ${question.id}`,
        });
      ids.add(question.id);
      if (!question.input && question.options.length === 0) {
        context.addIssue({
          code: 'custom',
          path: ['questions', index, 'options'],
          message: 'a question without input needs options',
        });
      }
      const optionIds = new Set(question.options.map((option) => option.id));
      if (optionIds.size !== question.options.length)
        context.addIssue({ code: 'custom', path: ['questions', index, 'options'], message: 'duplicate option id' });
      if (optionIds.has(definition.skip.id))
        context.addIssue({
          code: 'custom',
          path: ['questions', index, 'options'],
          message: 'an option reuses the skip id',
        });
    });
    definition.danger.ask.forEach((questionId, index) => {
      if (!ids.has(questionId))
        context.addIssue({
          code: 'custom',
          path: ['danger', 'ask', index],
          message: `no question has the id ${questionId}`,
        });
    });
  });
export type TriageDefinition = z.infer<typeof TriageDefinition>;
export type TriageQuestion = TriageDefinition['questions'][number];

export function parseTriageDefinition(raw: unknown, source = 'triage'): TriageDefinition {
  const result = TriageDefinition.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${source}: ${issue?.path.join('.') || '(file)'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

export function loadTriageDefinition(file: string): TriageDefinition {
  return parseTriageDefinition(parseYaml(readFileSync(file, 'utf8')), file);
}
