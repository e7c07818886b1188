import { ContentKey } from '@espace-mineurs/protocol';
import { describe, expect, it } from 'vitest';
import {
  activeTriageQuestion,
  questionPrompt,
  textContent,
  toTimelineMessage,
  triageAnswerContent,
  upsert,
  type RawEvent,
} from './timeline.ts';

const who = { me: '@guest:hs', service: '@bot:hs' };
const question = {
  questionId: 'context',
  options: [{ id: 'home', number: 1, label: 'À la maison' }],
  expectsText: false,
  skip: { id: 'skip', label: 'Parler tout de suite à quelqu’un' },
};

function message(sender: string, body: string, extra: Record<string, unknown> = {}, id = '$1', ts = 1): RawEvent {
  return {
    event_id: id,
    type: 'm.room.message',
    sender,
    origin_server_ts: ts,
    content: { msgtype: 'm.text', body, ...extra },
  };
}

describe('toTimelineMessage', () => {
  it("shows the service's evidence image as a line with its short hash, and ignores images from anyone else", () => {
    const sha256 = 'ab'.repeat(32);
    const image = {
      msgtype: 'm.image',
      body: 'preuve.png',
      url: 'mxc://hs/x',
      'fr.espace-mineurs.evidence': { sha256 },
    };
    const item = toTimelineMessage(
      { event_id: '$i', type: 'm.room.message', sender: '@bot:hs', origin_server_ts: 5, content: image },
      who,
    );
    expect(item).toMatchObject({
      author: 'service',
      evidence: sha256,
      body: 'Capture d’écran envoyée (empreinte abababab)',
    });
    expect(item?.image).toBeUndefined();
    const withInfo = { ...image, info: { mimetype: 'image/png' } };
    expect(
      toTimelineMessage({ event_id: '$i', type: 'm.room.message', sender: '@bot:hs', content: withInfo }, who)?.image,
    ).toEqual({ mxc: 'mxc://hs/x', mimetype: 'image/png' });
    expect(
      toTimelineMessage({ event_id: '$j', type: 'm.room.message', sender: '@guest:hs', content: image }, who),
    ).toBeUndefined();
    expect(
      toTimelineMessage(
        { event_id: '$k', type: 'm.room.message', sender: '@bot:hs', content: { msgtype: 'm.image', body: 'x' } },
        who,
      ),
    ).toBeUndefined();
  });

  it('reads a triage question from the service', () => {
    const item = toTimelineMessage(
      message('@bot:hs', '1. À la maison', { [ContentKey.TriageQuestion]: question }),
      who,
    );
    expect(item?.author).toBe('service');
    expect(item?.triage?.questionId).toBe('context');
  });

  it('ignores structured triage content from anyone but the service', () => {
    const item = toTimelineMessage(message('@agent:hs', 'hello', { [ContentKey.TriageQuestion]: question }), who);
    expect(item).toMatchObject({ author: 'agent', body: 'hello' });
    expect(item?.triage).toBeUndefined();
  });

  it('drops a malformed triage question but keeps its text', () => {
    const item = toTimelineMessage(message('@bot:hs', 'text', { [ContentKey.TriageQuestion]: { options: 'x' } }), who);
    expect(item).toMatchObject({ body: 'text' });
    expect(item?.triage).toBeUndefined();
  });

  it('names each agent line after its own sender, so a transfer does not rewrite who said what', () => {
    const names: Record<string, string> = { '@pn-agent-1:hs': 'Alex', '@gn-agent-2:hs': 'Noa' };
    const named = { ...who, nameOf: (id: string) => names[id] };
    expect(toTimelineMessage(message('@pn-agent-1:hs', 'Où es-tu ?'), named)?.senderName).toBe('Alex');
    expect(toTimelineMessage(message('@gn-agent-2:hs', 'Bonjour'), named)?.senderName).toBe('Noa');
    // The service and the young person are never named from the room.
    expect(toTimelineMessage(message('@bot:hs', 'Bienvenue'), named)?.senderName).toBeUndefined();
  });

  it('marks the service goodbye, and only when the service sends it', () => {
    const flag = { [`${ContentKey.Service}.closed`]: true };
    expect(toTimelineMessage(message('@bot:hs', 'Au revoir', flag), who)?.closing).toBe(true);
    expect(toTimelineMessage(message('@agent:hs', 'Au revoir', flag), who)?.closing).toBeUndefined();
    // The orientation the agent chose comes alone too, from the service only.
    const advised = { ...flag, [`${ContentKey.Service}.orientation`]: 'Le 3018 peut t’aider.' };
    expect(toTimelineMessage(message('@bot:hs', 'Au revoir\n\nLe 3018 peut t’aider.', advised), who)).toMatchObject({
      closing: true,
      orientation: 'Le 3018 peut t’aider.',
    });
    expect(toTimelineMessage(message('@agent:hs', 'Au revoir', advised), who)?.orientation).toBeUndefined();
    expect(
      toTimelineMessage(message('@bot:hs', 'Au revoir', { ...flag, [`${ContentKey.Service}.orientation`]: 42 }), who)
        ?.orientation,
    ).toBeUndefined();
  });

  it('links my own echo to its transaction id', () => {
    const raw = { ...message('@guest:hs', 'salut'), unsigned: { transaction_id: 'abc-1' } };
    expect(toTimelineMessage(raw, who)).toMatchObject({ author: 'me', txnId: 'abc-1' });
  });

  it('skips state and non-text events, and shows a redacted one as « Message supprimé » without its words', () => {
    expect(toTimelineMessage({ ...message('@bot:hs', 'x'), type: 'm.room.member' }, who)).toBeUndefined();
    expect(
      toTimelineMessage({ ...message('@agent:hs', 'secret'), unsigned: { redacted_because: {} } }, who),
    ).toMatchObject({ body: 'Message supprimé', redacted: true, author: 'agent' });
    expect(toTimelineMessage(message('@agent:hs', 'x', { msgtype: 'm.image' }), who)).toBeUndefined();
  });
});

describe('upsert', () => {
  it('keeps server order and replaces duplicates', () => {
    const a = toTimelineMessage(message('@bot:hs', 'a', {}, '$a', 1), who)!;
    const c = toTimelineMessage(message('@bot:hs', 'c', {}, '$c', 3), who)!;
    const b = toTimelineMessage(message('@bot:hs', 'b', {}, '$b', 2), who)!;
    const items = upsert(upsert(upsert([a], c), b), b);
    expect(items.map((item) => item.body)).toEqual(['a', 'b', 'c']);
  });
});

describe('activeTriageQuestion', () => {
  const q = toTimelineMessage(message('@bot:hs', 'q', { [ContentKey.TriageQuestion]: question }, '$q', 1), who)!;
  const mine = toTimelineMessage(message('@guest:hs', 'réponse', {}, '$m', 2), who)!;

  it('is the last question while unanswered', () => {
    expect(activeTriageQuestion([q])?.eventId).toBe('$q');
  });

  it('disappears once the young person answered or has a message on its way', () => {
    expect(activeTriageQuestion([q, mine])).toBeUndefined();
    expect(activeTriageQuestion([q], 1)).toBeUndefined();
  });
});

describe('content builders', () => {
  it('puts the label as body and the structured answer beside it', () => {
    expect(triageAnswerContent(question, 'home', 'À la maison')).toEqual({
      msgtype: 'm.text',
      body: 'À la maison',
      [ContentKey.TriageAnswer]: { questionId: 'context', optionId: 'home' },
    });
  });

  it('replaces lone surrogates, which the homeserver would refuse', () => {
    expect(textContent(' a\ud800b ').body).toBe('a\ufffdb');
  });
});

describe('questionText', () => {
  it('drops the numbered option lines the buttons replace', async () => {
    const { questionText } = await import('./timeline.ts');
    const body = 'Merci.\n\nOù est-ce que ça se passe ?\n1. À la maison\n2. Parler tout de suite à quelqu’un';
    expect(questionText(body, question)).toBe('Merci.\n\nOù est-ce que ça se passe ?');
  });
});

describe('questionPrompt', () => {
  it('keeps only the question, without the welcome paragraph or the numbered options', () => {
    const body = 'Bonjour, tu es sur Espace mineurs.\n\nOù est-ce que ça se passe ?\n1. À la maison';
    expect(questionPrompt(body, question)).toBe('Où est-ce que ça se passe ?');
  });
});
