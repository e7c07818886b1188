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
  /** What kind of text is expected, so the site can offer the right keyboard (digits for a postal code). */
  input: z.enum(['postal_code']).optional(),
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

/**
 * Where the triage stands, in the bot's reply to each answer (ContentKey.TriageProgress; EventType.Triage state
 * in rooms of earlier versions). Written by the bot only; read back after a restart. `handled` lists the last
 * answer events applied, so a replayed event changes nothing.
 */
export const TriageProgress = z.object({
  /** The question waiting for an answer; absent once triage is over. */
  current: z.string().max(64).optional(),
  /** Option id per question id, or the text given (postal code). */
  answers: z.record(z.string(), z.string().max(64)),
  /** How many unusable answers in a row to the current question. */
  retries: z.number().int().min(0).default(0),
  done: z.boolean(),
  skipped: z.boolean().default(false),
  urgent: z.boolean().default(false),
  handled: z.array(z.string()).max(50).default([]),
});
export type TriageProgress = z.infer<typeof TriageProgress>;
