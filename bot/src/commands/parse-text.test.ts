import { describe, expect, it } from 'vitest';
import { parseTextCommand } from './parse-text.ts';

const lookup = (ticket: number) => (ticket === 12 ? '!room:test' : undefined);

describe('text commands', () => {
  it('ignores ordinary chatter', () => {
    expect(parseTextCommand('bonjour à tous', '$e', lookup)).toBeUndefined();
  });

  it('parses claims, closing, duty and transfers by ticket', () => {
    expect(parseTextCommand('!prendre 12', '$e', lookup)).toEqual({ kind: 'command', command: { action: 'claim', requestId: '$e', conversation: '!room:test' } });
    expect(parseTextCommand('!clore 12 plainte', '$e', lookup)).toMatchObject({ command: { action: 'close', outcome: 'complaint' } });
    expect(parseTextCommand('!service 2', '$e', lookup)).toMatchObject({ command: { action: 'duty', onDuty: true, capacity: 2 } });
    expect(parseTextCommand('!pause', '$e', lookup)).toMatchObject({ command: { action: 'duty', onDuty: false } });
    expect(parseTextCommand('!transférer 12 gendarmerie chaud', '$e', lookup)).toMatchObject({ command: { action: 'transfer', to: { force: 'gendarmerie' }, mode: 'warm' } });
    expect(parseTextCommand('!transferer 12 @gn-agent-1:test', '$e', lookup)).toMatchObject({ command: { action: 'transfer', to: { agent: '@gn-agent-1:test' }, mode: 'cold' } });
  });

  it('answers unknown tickets, outcomes and verbs with a French explanation', () => {
    expect(parseTextCommand('!prendre 99', '$e', lookup)).toEqual({ kind: 'error', message: 'Aucune conversation n°99 dans votre file.' });
    expect(parseTextCommand('!clore 12 bof', '$e', lookup)).toMatchObject({ kind: 'error' });
    expect(parseTextCommand('!service 40', '$e', lookup)).toMatchObject({ kind: 'error' });
    expect(parseTextCommand('!danse', '$e', lookup)).toMatchObject({ kind: 'error' });
    expect(parseTextCommand('!aide', '$e', lookup)).toEqual({ kind: 'help' });
  });

  it('parses the safety commands: disclosure request and decisions, legal hold, export', () => {
    expect(parseTextCommand('!levée 12 menace de passage à l’acte ce soir', '$e', lookup)).toEqual({
      kind: 'command',
      command: { action: 'disclosure_request', requestId: '$e', conversation: '!room:test', reason: 'menace de passage à l’acte ce soir' },
    });
    expect(parseTextCommand('!levee 12 court', '$e', lookup)).toMatchObject({ kind: 'error' });
    expect(parseTextCommand('!approuver-levée 12 a1b2c3d4', '$e', lookup)).toEqual({
      kind: 'command',
      command: { action: 'disclosure_decision', requestId: '$e', conversation: '!room:test', disclosure: 'a1b2c3d4', decision: 'approve' },
    });
    expect(parseTextCommand('!refuser-levee 12 a1b2c3d4 pas assez d’éléments', '$e', lookup)).toMatchObject({ command: { decision: 'refuse', comment: 'pas assez d’éléments' } });
    expect(parseTextCommand('!refuser-levee 12', '$e', lookup)).toMatchObject({ kind: 'error' });
    expect(parseTextCommand('!retirer-levee 12 a1b2c3d4', '$e', lookup)).toMatchObject({ command: { action: 'disclosure_withdraw', disclosure: 'a1b2c3d4' } });
    expect(parseTextCommand('!retirer-levee 12', '$e', lookup)).toMatchObject({ kind: 'error' });
    expect(parseTextCommand('!conserver 12 réquisition du parquet', '$e', lookup)).toMatchObject({ command: { action: 'legal_hold', hold: true, reason: 'réquisition du parquet' } });
    expect(parseTextCommand('!libérer 12 procédure classée', '$e', lookup)).toMatchObject({ command: { action: 'legal_hold', hold: false } });
    expect(parseTextCommand('!clore 12 aucune 30', '$e', lookup)).toMatchObject({ command: { action: 'close', outcome: 'none', coolDownMinutes: 30 } });
    expect(parseTextCommand('!clore 12 aucune toujours', '$e', lookup)).toMatchObject({ kind: 'error' });
    expect(parseTextCommand('!exporter 12', '$e', lookup)).toEqual({ kind: 'command', command: { action: 'export', requestId: '$e', conversation: '!room:test' } });
  });
});
