import { z } from 'zod';

/**
 * Structured part of a triage question. The bot sends an m.room.message whose body lists the options with
 * numbers (readable in any client) and whose content carries this object under ContentKey.TriageQuestion, so
 * the site can render buttons.
 */
export const TriageOption = z.object({
  id: z.string().min(1).max(64),
  /** 1-based number the young person may type instead of clicking. */
  number: z.number().int().min(1),
  label: z.string().min(1).max(200),
});
export type TriageOption = z.infer<typeof TriageOption>;

export const TriageQuestionContent = z.object({
  questionId: z.string().min(1).max(64),
  options: z.array(TriageOption).max(20),
  /** Free text is always possible; this says whether it is the expected answer (e.g. a postal code). */
  expectsText: z.boolean().default(false),
  /** The "talk to someone right now" option, always offered. */
  skip: z.object({ id: z.string(), label: z.string() }).optional(),
});
export type TriageQuestionContent = z.infer<typeof TriageQuestionContent>;

/** Structured part of an answer by button, sent by the site with the option's label as body. */
export const TriageAnswerContent = z.object({
  questionId: z.string().min(1).max(64),
  optionId: z.string().min(1).max(64),
});
export type TriageAnswerContent = z.infer<typeof TriageAnswerContent>;
