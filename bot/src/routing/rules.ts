import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { Force } from '@espace-mineurs/protocol';

export const RoutingRules = z.object({
  rules: z
    .array(
      z.object({
        name: z.string().min(1),
        force: Force,
        departments: z.array(z.string().regex(/^(\d{2}|9[78]\d)$/, 'two digits, or three for overseas (971…)')).min(1),
      }),
    )
    .default([]),
});
export type RoutingRules = z.infer<typeof RoutingRules>;

export function parseRoutingRules(raw: unknown, source = 'routing'): RoutingRules {
  const result = RoutingRules.safeParse(raw ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${source}: ${issue?.path.join('.') || '(file)'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

export function loadRoutingRules(file: string): RoutingRules {
  return parseRoutingRules(parseYaml(readFileSync(file, 'utf8')), file);
}
