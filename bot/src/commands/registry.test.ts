import { Command } from '@espace-mineurs/protocol';
import { describe, expect, it } from 'vitest';
import { COMMANDS, HELP, TEXT_FORMS } from './registry.ts';
import { parseTextCommand } from './parse-text.ts';

describe('the command registry', () => {
  it('has an entry for every action of the protocol, each with a text form', () => {
    const actions = Command.options.map((option) => option.shape.action.value).sort();
    expect(Object.keys(COMMANDS).sort()).toEqual(actions);
    for (const action of actions) expect(COMMANDS[action].text.length, action).toBeGreaterThan(0);
  });

  it('gives every verb to one form only', () => {
    const verbs = TEXT_FORMS.flatMap((form) => form.verbs);
    expect(new Set(verbs).size).toBe(verbs.length);
    expect(verbs).not.toContain('aide');
  });

  it('derives !aide from the table: every verb, and what each outcome tells the young person', () => {
    const lines = HELP.split('\n');
    expect(lines[0]).toBe(
      'Commandes (dans le salon de file de votre force, hors fil de discussion : les fils servent aux notes) :',
    );
    for (const form of TEXT_FORMS) if (form.help) expect(lines).toContain(form.help.split('\n')[0]);
    expect(HELP).toMatch(/^!file — /m);
    expect(HELP).toMatch(/^!mes — /m);
    // Each outcome word, with the sentence the goodbye gives for it.
    for (const word of ['plainte', '119', '3018', 'ecole', 'sante', 'secours', 'aucune'])
      expect(HELP).toMatch(new RegExp(`^    ${word} : « `, 'm'));
    expect(HELP).toContain('secours : « Si tu es en danger, appelle le 17 ou le 112');
    expect(HELP).not.toContain('ont été prévenus');
  });

  it('says "(superviseurs)" in the help of exactly the commands only supervisors may send', () => {
    for (const [action, spec] of Object.entries(COMMANDS)) {
      const lines = spec.text.flatMap((form) => (form.help ? [form.help] : []));
      for (const line of lines) expect(line.includes('(superviseurs)'), action).toBe(spec.roles === 'supervisor');
    }
  });

  it('parses every text form it lists (one example each) into a valid command', () => {
    const lookup = (ticket: number) => (ticket === 12 ? '!room:test' : undefined);
    const examples = [
      '!service',
      '!pause',
      '!prendre 12',
      '!transferer 12 police',
      '!accepter 12',
      '!refuser 12 occupé',
      '!clore 12 aucune',
      '!danger 12',
      '!superviser 12',
      "!levee 12 menace de passage à l'acte",
      '!approuver-levee 12 a1',
      '!retirer-levee 12 a1',
      '!conserver 12 réquisition',
      '!exporter 12',
      '!file',
      '!mes',
    ];
    const seen = new Set<string>();
    for (const example of examples) {
      const parsed = parseTextCommand(example, '$e', lookup);
      expect(parsed?.kind, example).toBe('command');
      if (parsed?.kind !== 'command') continue;
      expect(Command.safeParse(parsed.command).success, example).toBe(true);
      seen.add(parsed.command.action);
    }
    expect([...seen].sort()).toEqual(Object.keys(COMMANDS).sort());
  });
});
