import type { TriageDefinition } from '../triage/definition.ts';

/**
 * Preset answers (the context the young person picked on the site) are option ids of the triage questions. One
 * that the triage does not know is an error at the edge (400), never silently dropped: it means the site and
 * bot/triage.yaml have drifted apart (tests/static/triage-ids.test.ts checks they have not).
 */
export function unknownPresets(definition: TriageDefinition, preset: Record<string, string>): string[] {
  return Object.entries(preset)
    .filter(
      ([questionId, optionId]) =>
        !definition.questions.some(
          (question) => question.id === questionId && question.options.some((option) => option.id === optionId),
        ),
    )
    .map(([questionId, optionId]) => `${questionId}=${optionId}`);
}
