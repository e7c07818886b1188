import { ContentKey, type TriageQuestionContent } from '@espace-mineurs/protocol';
import type { TriageDefinition, TriageQuestion } from './definition.ts';
import type { TriageReply } from './machine.ts';

export type MessageContent = Record<string, unknown> & { msgtype: string; body: string };

/** A service message: plain text any Matrix client shows, marked as coming from the service. */
export function serviceMessage(body: string, extra: Record<string, unknown> = {}): MessageContent {
  return { msgtype: 'm.text', body, [ContentKey.Service]: true, ...extra };
}

/** The question as numbered text (Element) plus structured options (the site's buttons). */
export function questionContent(
  definition: TriageDefinition,
  question: TriageQuestion,
  prefix?: string,
): MessageContent {
  const options = question.options.map((option, index) => ({ id: option.id, number: index + 1, label: option.label }));
  const skip = { id: definition.skip.id, label: definition.skip.label };
  const lines = [
    ...(prefix ? [prefix, ''] : []),
    question.text,
    ...options.map((option) => `${option.number}. ${option.label}`),
    `${options.length + 1}. ${skip.label}`,
  ];
  const structured: TriageQuestionContent = {
    questionId: question.id,
    options,
    expectsText: question.input !== undefined,
    skip,
    ...(question.input ? { input: question.input } : {}),
  };
  return serviceMessage(lines.join('\n'), { [ContentKey.TriageQuestion]: structured });
}

/** The replies as messages; the introduction travels with the question that follows it (one message, not two). */
export function repliesContent(definition: TriageDefinition, replies: TriageReply[]): MessageContent[] {
  const messages: MessageContent[] = [];
  for (let index = 0; index < replies.length; index++) {
    const reply = replies[index]!;
    const next = replies[index + 1];
    if (reply.kind === 'intro' && next?.kind === 'question') {
      messages.push(questionContent(definition, next.question, definition.intro));
      index++;
    } else {
      messages.push(replyContent(definition, reply));
    }
  }
  return messages;
}

export function replyContent(definition: TriageDefinition, reply: TriageReply): MessageContent {
  switch (reply.kind) {
    case 'intro':
      return serviceMessage(definition.intro);
    case 'question':
      return questionContent(definition, reply.question);
    case 'retry':
      return questionContent(definition, reply.question, definition.retry);
    case 'danger':
      return serviceMessage(definition.danger.text, { [ContentKey.ServiceDanger]: true });
    case 'note':
      return serviceMessage(reply.text);
    case 'done':
      return serviceMessage(reply.skipped ? definition.skipped : definition.done);
  }
}
