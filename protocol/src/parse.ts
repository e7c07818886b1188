import type { z } from 'zod';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Validates raw event content once, at the edge, into a typed value. The error names the first bad path and
 * what is wrong with it, never the value itself (it may be a young person's words).
 */
export function parseContent<S extends z.ZodType>(schema: S, content: unknown): Parsed<z.infer<S>> {
  const result = schema.safeParse(content);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(content)';
  return { ok: false, error: `${path}: ${issue?.message ?? 'invalid'}` };
}
