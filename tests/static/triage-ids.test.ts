/**
 * The triage option ids the site and the tests send as presets exist in bot/triage.yaml: the bot refuses an
 * unknown preset (400), so a renamed option would otherwise break the site's "where does it happen" pages.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadTriageDefinition } from '../../bot/src/triage/definition.ts';
import { unknownPresets } from '../../bot/src/intake/preset.ts';
import { CONTEXTS } from '../../web/src/lib/content/contexts.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const definition = loadTriageDefinition(join(ROOT, 'bot/triage.yaml'));

describe('triage ids shared with the site and the tests', () => {
  it("every context page of the site names an option of the triage's context question", () => {
    expect(CONTEXTS.length).toBeGreaterThan(0);
    for (const context of CONTEXTS)
      expect(unknownPresets(definition, { context: context.triageOptionId }), context.id).toEqual([]);
  });

  it('the presets the integration tests send exist', () => {
    // tests/integration/bot-api.test.ts opens with { context: 'ecole' }.
    expect(unknownPresets(definition, { context: 'ecole' })).toEqual([]);
  });

  it('an unknown preset is reported, with its question', () => {
    expect(unknownPresets(definition, { context: 'nulle-part' })).toEqual(['context=nulle-part']);
    expect(unknownPresets(definition, { nope: 'ecole' })).toEqual(['nope=ecole']);
  });
});
