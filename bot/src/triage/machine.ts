import type { TriageAnswerContent, TriageProgress, TriageSummary } from '@espace-mineurs/protocol';
import type { TriageDefinition, TriageQuestion } from './definition.ts';
import { extractPostalCode, isValidPostalCode } from './postal-code.ts';

/**
 * The triage as a pure state machine: (definition, progress, answer) → (progress, replies). The bot turns
 * replies into messages; tests drive it without Matrix.
 */
export type TriageReply =
  | { kind: 'intro' }
  | { kind: 'question'; question: TriageQuestion }
  | { kind: 'retry'; question: TriageQuestion }
  | { kind: 'danger' }
  /** An option's own note (bot/triage.yaml `note`), said right after it was chosen. */
  | { kind: 'note'; text: string }
  | { kind: 'done'; skipped: boolean };

export interface TriageStep {
  progress: TriageProgress;
  replies: TriageReply[];
}

export interface TriageAnswer {
  body: string;
  payload?: TriageAnswerContent;
}

/** The next unanswered question; once the young person said they are in danger, only those of `danger.ask`. */
function nextQuestion(
  definition: TriageDefinition,
  answers: Record<string, string>,
  urgent = false,
): TriageQuestion | undefined {
  return definition.questions.find(
    (question) => answers[question.id] === undefined && (!urgent || definition.danger.ask.includes(question.id)),
  );
}

function finish(progress: TriageProgress, skipped: boolean): TriageStep {
  const { current: _current, ...rest } = progress;
  return { progress: { ...rest, done: true, skipped, retries: 0 }, replies: [{ kind: 'done', skipped }] };
}

/** First step: preset answers (the context the young person picked on the site) skip their questions. */
export function startTriage(definition: TriageDefinition, preset: Record<string, string> = {}): TriageStep {
  const answers: Record<string, string> = {};
  for (const [questionId, optionId] of Object.entries(preset)) {
    const question = definition.questions.find((candidate) => candidate.id === questionId);
    if (question?.options.some((option) => option.id === optionId)) answers[questionId] = optionId;
  }
  const base: TriageProgress = { answers, retries: 0, done: false, skipped: false, urgent: false, handled: [] };
  const question = nextQuestion(definition, answers);
  if (!question)
    return { progress: { ...base, done: true }, replies: [{ kind: 'intro' }, { kind: 'done', skipped: false }] };
  return { progress: { ...base, current: question.id }, replies: [{ kind: 'intro' }, { kind: 'question', question }] };
}

export function normalize(text: string): string {
  return ` ${text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[’`]/g, "'")
    .replace(/[^a-z0-9']+/g, ' ')
    .trim()} `;
}

type Match =
  { kind: 'option'; optionId: string } | { kind: 'skip' } | { kind: 'postal'; code: string } | { kind: 'none' };

export function matchAnswer(definition: TriageDefinition, question: TriageQuestion, answer: TriageAnswer): Match {
  const { payload } = answer;
  if (payload && payload.questionId === question.id) {
    if (payload.optionId === definition.skip.id) return { kind: 'skip' };
    if (question.options.some((option) => option.id === payload.optionId))
      return { kind: 'option', optionId: payload.optionId };
  }
  const body = answer.body.trim();
  if (/^\d{1,2}$/.test(body)) {
    const number = Number(body);
    const option = question.options[number - 1];
    if (option) return { kind: 'option', optionId: option.id };
    if (number === question.options.length + 1) return { kind: 'skip' };
  }
  if (question.input === 'postal_code') {
    const code = extractPostalCode(body);
    if (code !== undefined) return isValidPostalCode(code) ? { kind: 'postal', code } : { kind: 'none' };
  }
  const text = normalize(body);
  if (text.trim() === '') return { kind: 'none' };
  const matches = (candidates: string[]) =>
    candidates.some((candidate) => {
      const wanted = normalize(candidate);
      return wanted.trim() !== '' && (text === wanted || text.includes(wanted));
    });
  const found = question.options.filter((option) => matches([option.label, ...option.aliases]));
  if (found.length === 1) return { kind: 'option', optionId: found[0]!.id };
  if (found.length === 0 && matches([definition.skip.label, ...definition.skip.aliases])) return { kind: 'skip' };
  return { kind: 'none' };
}

/** Applies one answer. A finished triage ignores further answers (they are ordinary messages for the agent). */
export function answerTriage(definition: TriageDefinition, progress: TriageProgress, answer: TriageAnswer): TriageStep {
  if (progress.done || progress.current === undefined) return { progress, replies: [] };
  const question = definition.questions.find((candidate) => candidate.id === progress.current);
  if (!question) return finish(progress, false);
  const match = matchAnswer(definition, question, answer);
  if (match.kind === 'none')
    return { progress: { ...progress, retries: progress.retries + 1 }, replies: [{ kind: 'retry', question }] };
  if (match.kind === 'skip') return finish(progress, true);

  const value = match.kind === 'postal' ? match.code : match.optionId;
  const answers = { ...progress.answers, [question.id]: value };
  const chosen = match.kind === 'option' ? question.options.find((option) => option.id === match.optionId) : undefined;
  const urgent = chosen?.urgent === true;
  const replies: TriageReply[] = [];
  if (urgent) replies.push({ kind: 'danger' });
  if (chosen?.note) replies.push({ kind: 'note', text: chosen.note });
  const updated: TriageProgress = { ...progress, answers, retries: 0, urgent: progress.urgent || urgent };
  const next = nextQuestion(definition, answers, updated.urgent);
  if (!next) {
    const finished = finish(updated, false);
    return { progress: finished.progress, replies: [...replies, ...finished.replies] };
  }
  return { progress: { ...updated, current: next.id }, replies: [...replies, { kind: 'question', question: next }] };
}

function labelOf(definition: TriageDefinition, questionId: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const question = definition.questions.find((candidate) => candidate.id === questionId);
  return question?.options.find((option) => option.id === value)?.label ?? value;
}

/** What agents see in the queue: ids for the agent client, a French one-liner for Element. */
export function summarize(definition: TriageDefinition, progress: TriageProgress): TriageSummary {
  const { answers } = progress;
  const postal = answers.postal_code && /^\d{5}$/.test(answers.postal_code) ? answers.postal_code : undefined;
  const parts = definition.questions
    .map((question) => labelOf(definition, question.id, answers[question.id]))
    .filter((label): label is string => label !== undefined);
  if (progress.skipped) parts.push('a demandé à parler tout de suite');
  const summary: TriageSummary = {
    text: (parts.length > 0 ? parts.join(' · ') : 'Pas de réponse au questionnaire').slice(0, 500),
    skipped: progress.skipped,
  };
  if (answers.context) summary.context = answers.context;
  if (answers.role) summary.role = answers.role;
  if (answers.what) summary.what = answers.what;
  if (answers.danger) summary.inDanger = progress.urgent;
  if (answers.age) summary.ageRange = answers.age;
  if (postal) summary.postalCode = postal;
  return summary;
}
