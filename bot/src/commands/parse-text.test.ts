import { describe, expect, it } from 'vitest';
import { looksLikeCommand, parseTextCommand, stripReplyFallback } from './parse-text.ts';

const lookup = (ticket: number) => (ticket === 12 ? '!room:test' : undefined);

describe('text commands', () => {
  it('ignores ordinary chatter', () => {
    expect(parseTextCommand('bonjour à tous', '$e', lookup)).toBeUndefined();
  });

  it('parses claims, closing, duty and transfers by ticket', () => {
    expect(parseTextCommand('!prendre 12', '$e', lookup)).toEqual({
      kind: 'command',
      command: { action: 'claim', requestId: '$e', conversation: '!room:test' },
    });
    expect(parseTextCommand('!clore 12 plainte', '$e', lookup)).toMatchObject({
      command: { action: 'close', outcome: 'complaint' },
    });
    expect(parseTextCommand('!service 2', '$e', lookup)).toMatchObject({
      command: { action: 'duty', onDuty: true, capacity: 2 },
    });
    expect(parseTextCommand('!pause', '$e', lookup)).toMatchObject({ command: { action: 'duty', onDuty: false } });
    expect(parseTextCommand('!transférer 12 gendarmerie chaud', '$e', lookup)).toMatchObject({
      command: { action: 'transfer', to: { force: 'gendarmerie' }, mode: 'warm' },
    });
    expect(parseTextCommand('!transferer 12 @gn-agent-1:test', '$e', lookup)).toMatchObject({
      command: { action: 'transfer', to: { agent: '@gn-agent-1:test' }, mode: 'cold' },
    });
  });

  it('answers unknown tickets, outcomes and verbs with a French explanation', () => {
    expect(parseTextCommand('!prendre 99', '$e', lookup)).toEqual({
      kind: 'error',
      message: 'Aucune conversation n°99 dans votre file.',
    });
    expect(parseTextCommand('!clore 12 bof', '$e', lookup)).toMatchObject({ kind: 'error' });
    expect(parseTextCommand('!service 40', '$e', lookup)).toMatchObject({ kind: 'error' });
    expect(parseTextCommand('!danse', '$e', lookup)).toMatchObject({ kind: 'error' });
    expect(parseTextCommand('!aide', '$e', lookup)).toEqual({ kind: 'help' });
  });

  it('parses the safety commands: disclosure request and decisions, legal hold, export', () => {
    expect(parseTextCommand('!levée 12 menace de passage à l’acte ce soir', '$e', lookup)).toEqual({
      kind: 'command',
      command: {
        action: 'disclosure_request',
        requestId: '$e',
        conversation: '!room:test',
        reason: 'menace de passage à l’acte ce soir',
      },
    });
    expect(parseTextCommand('!levee 12 court', '$e', lookup)).toMatchObject({ kind: 'error' });
    expect(parseTextCommand('!approuver-levée 12 a1b2c3d4', '$e', lookup)).toEqual({
      kind: 'command',
      command: {
        action: 'disclosure_decision',
        requestId: '$e',
        conversation: '!room:test',
        disclosure: 'a1b2c3d4',
        decision: 'approve',
      },
    });
    expect(parseTextCommand('!refuser-levee 12 a1b2c3d4 pas assez d’éléments', '$e', lookup)).toMatchObject({
      command: { decision: 'refuse', comment: 'pas assez d’éléments' },
    });
    expect(parseTextCommand('!refuser-levee 12', '$e', lookup)).toMatchObject({ kind: 'error' });
    expect(parseTextCommand('!retirer-levee 12 a1b2c3d4', '$e', lookup)).toMatchObject({
      command: { action: 'disclosure_withdraw', disclosure: 'a1b2c3d4' },
    });
    expect(parseTextCommand('!retirer-levee 12', '$e', lookup)).toMatchObject({ kind: 'error' });
    expect(parseTextCommand('!conserver 12 réquisition du parquet', '$e', lookup)).toMatchObject({
      command: { action: 'legal_hold', hold: true, reason: 'réquisition du parquet' },
    });
    expect(parseTextCommand('!libérer 12 procédure classée', '$e', lookup)).toMatchObject({
      command: { action: 'legal_hold', hold: false },
    });
    expect(parseTextCommand('!clore 12 aucune 30', '$e', lookup)).toMatchObject({
      command: { action: 'close', outcome: 'none', coolDownMinutes: 30 },
    });
    expect(parseTextCommand('!clore 12 aucune toujours', '$e', lookup)).toMatchObject({ kind: 'error' });
    expect(parseTextCommand('!exporter 12', '$e', lookup)).toEqual({
      kind: 'command',
      command: { action: 'export', requestId: '$e', conversation: '!room:test' },
    });
  });
  it('refuses an unknown transfer mode with the valid ones, never guessing a cold transfer', () => {
    const typo = parseTextCommand('!transferer 12 gendarmerie chuad', '$e', lookup);
    expect(typo).toEqual({ kind: 'error', message: expect.stringContaining('« chuad »') });
    expect(typo).toMatchObject({ message: expect.stringContaining('chaud, froid') });
    expect(parseTextCommand('!transferer 12 gendarmerie FROID', '$e', lookup)).toMatchObject({
      command: { mode: 'cold', to: { force: 'gendarmerie' } },
    });
    expect(parseTextCommand('!transferer 12 Gendarmerie', '$e', lookup)).toMatchObject({
      command: { mode: 'cold', to: { force: 'gendarmerie' } },
    });
  });

  it('takes an Element pill or a pseudonym of the same force as the transfer target', () => {
    const pill = { mentions: [{ userId: '@pn-agent-2:test', text: 'Sam' }] };
    expect(parseTextCommand('!transferer 12 Sam chaud', '$e', lookup, pill)).toMatchObject({
      command: { to: { agent: '@pn-agent-2:test' }, mode: 'warm' },
    });
    // A pill whose text is not the word typed still stands for the target when it is the only one.
    expect(
      parseTextCommand('!transferer 12 Sam', '$e', lookup, { mentions: [{ userId: '@pn-agent-2:test', text: '' }] }),
    ).toMatchObject({ command: { to: { agent: '@pn-agent-2:test' } } });
    const colleagues = (name: string) =>
      name.toLowerCase() === 'noé' ? ['@pn-agent-3:test'] : name === 'Jo' ? ['@a:test', '@b:test'] : [];
    expect(
      parseTextCommand('!transferer 12 noe', '$e', lookup, {
        colleagues: (name) => colleagues(name === 'noe' ? 'noé' : name),
      }),
    ).toMatchObject({ command: { to: { agent: '@pn-agent-3:test' }, mode: 'cold' } });
    expect(parseTextCommand('!transferer 12 Jo chaud', '$e', lookup, { colleagues })).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('Plusieurs collègues'),
    });
    expect(parseTextCommand('!transferer 12 Inconnu', '$e', lookup, { colleagues })).toMatchObject({ kind: 'error' });
  });

  it('reads a command sent as a reply (the quoted fallback stripped)', () => {
    const reply = '> <@bot:test> Nouvelle conversation n°12\n> Pour la prendre : !prendre 12\n\n!prendre 12';
    expect(stripReplyFallback(reply)).toBe('!prendre 12');
    expect(parseTextCommand(reply, '$e', lookup)).toMatchObject({ kind: 'command', command: { action: 'claim' } });
    expect(parseTextCommand('> <@bot:test> !prendre 12\n\nmerci', '$e', lookup)).toBeUndefined();
    expect(looksLikeCommand('> quoted\n\n!clore 12 aucune')).toBe(true);
    expect(looksLikeCommand('une note')).toBe(false);
  });

  it('parses the lists', () => {
    expect(parseTextCommand('!file', '$e', lookup)).toEqual({
      kind: 'command',
      command: { action: 'queue_list', requestId: '$e' },
    });
    expect(parseTextCommand('!mes', '$e', lookup)).toEqual({
      kind: 'command',
      command: { action: 'mine_list', requestId: '$e' },
    });
  });
});
