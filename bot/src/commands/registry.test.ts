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

  it('derives !aide from the table, as it read before the table existed', () => {
    expect(HELP).toBe(
      [

        'Commandes (dans le salon de file de votre force) :',
        '!service [capacité] — je prends mon service (3 conversations à la fois par défaut)',
        '!pause — je quitte mon service (mes conversations retournent en file)',
        '!prendre N — je prends la conversation n°N',
        '!transferer N @agent:serveur|police|gendarmerie [chaud|froid] — transférer (froid par défaut)',
        '!accepter N / !refuser N — répondre à un transfert',
        '!clore N issue [minutes] — clore ; issue : plainte, 119, 3018, ecole, sante, secours, aucune ; avec des minutes, pas de nouvelle conversation de ce jeune ni de son adresse pendant ce temps',
        '!danger N — signaler un danger grave (priorité)',
        '!superviser N — (superviseurs) rejoindre la conversation',
  "!levee N motif — danger grave : demander la levée d'anonymat (motif de 10 caractères au moins)",
  "!approuver-levee N id [commentaire] / !refuser-levee N id [motif] — (superviseurs) décider d'une demande",
  "!retirer-levee N id — retirer sa propre demande de levée d'anonymat tant qu'elle n'est pas décidée",
        '!conserver N motif / !liberer N motif — (superviseurs) poser ou lever une conservation judiciaire',
        '!exporter N — (superviseurs) exporter la conversation (salon des superviseurs)',
      ].join('\n'),
    );
  });

  it('says "(superviseurs)" in the help of exactly the commands only supervisors may send', () => {
    for (const [action, spec] of Object.entries(COMMANDS)) {
      const lines = spec.text.flatMap((form) => (form.help ? [form.help] : []));
      for (const line of lines) expect(line.includes('(superviseurs)'), action).toBe(spec.roles === 'supervisor');
    }
  });

  it('parses every text form it lists (one example each) into a valid command', () => {
    const lookup = (ticket: number) => (ticket === 12 ? '!room:test' : undefined);
    const examples = ['!service', '!pause', '!prendre 12', '!transferer 12 police', '!accepter 12', '!refuser 12 occupé', '!clore 12 aucune', '!danger 12', '!superviser 12', "!levee 12 menace de passage à l'acte", '!approuver-levee 12 a1', '!retirer-levee 12 a1', '!conserver 12 réquisition', '!exporter 12'];
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
