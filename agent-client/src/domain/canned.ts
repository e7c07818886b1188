import { CannedResponsesContent, type CannedResponse, type Force } from '@espace-mineurs/protocol';
import { parseCanned } from '../matrix/parse.ts';

/**
 * Canned responses of a force: one state event (EventType.CannedResponses) in the force's queue room, which every
 * agent of the force reads and its supervisors (power 75) edit. Until a supervisor writes the force's own list,
 * agents get these defaults. Tutoiement, as the site uses.
 */
export const DEFAULT_CANNED: Record<Force, CannedResponse[]> = {
  police: [
    {
      id: 'hello',
      title: 'Accueil',
      body: "Bonjour, je suis {pseudo}, policier·e formé·e pour t'écouter. Tu peux tout me dire, à ton rythme. Ce que tu écris ici reste confidentiel.",
    },
    {
      id: 'danger',
      title: 'Danger immédiat',
      body: 'Si tu es en danger maintenant, appelle le 17 ou le 112. Si tu ne peux pas parler, envoie un SMS au 114. Je reste avec toi ici.',
    },
    { id: 'safe', title: 'En sécurité ?', body: 'Est-ce que tu es en sécurité là où tu es, en ce moment ?' },
    {
      id: 'not-alone',
      title: 'Pas seul·e',
      body: "Tu as bien fait d'en parler. Ce qui t'arrive n'est pas de ta faute.",
    },
    {
      id: '3018',
      title: '3018',
      body: "Pour le harcèlement en ligne, le 3018 peut t'aider à faire supprimer des contenus : appel, SMS ou appli, gratuit et anonyme.",
    },
    {
      id: 'bye',
      title: 'Au revoir',
      body: 'Merci de ta confiance. Tu peux revenir quand tu veux, un policier ou un gendarme sera là.',
    },
  ],
  gendarmerie: [
    {
      id: 'hello',
      title: 'Accueil',
      body: "Bonjour, je suis {pseudo}, gendarme formé·e pour t'écouter. Tu peux tout me dire, à ton rythme. Ce que tu écris ici reste confidentiel.",
    },
    {
      id: 'danger',
      title: 'Danger immédiat',
      body: 'Si tu es en danger maintenant, appelle le 17 ou le 112. Si tu ne peux pas parler, envoie un SMS au 114. Je reste avec toi ici.',
    },
    { id: 'safe', title: 'En sécurité ?', body: 'Est-ce que tu es en sécurité là où tu es, en ce moment ?' },
    {
      id: 'not-alone',
      title: 'Pas seul·e',
      body: "Tu as bien fait d'en parler. Ce qui t'arrive n'est pas de ta faute.",
    },
    {
      id: '119',
      title: '119',
      body: "Le 119 (Allô enfance en danger) répond jour et nuit, gratuitement. L'appel n'apparaît pas sur les factures.",
    },
    {
      id: 'bye',
      title: 'Au revoir',
      body: 'Merci de ta confiance. Tu peux revenir quand tu veux, un policier ou un gendarme sera là.',
    },
  ],
};

export function cannedFor(published: CannedResponse[] | undefined, force: Force): CannedResponse[] {
  return published ?? DEFAULT_CANNED[force];
}

export function cannedFromState(content: unknown, force: Force): CannedResponse[] {
  return parseCanned(content) ?? DEFAULT_CANNED[force];
}

/** Fills the placeholders agents may use; the result goes into the composer, to be edited before sending. */
export function fillCanned(body: string, values: { pseudo: string }): string {
  return body.replaceAll('{pseudo}', values.pseudo);
}

/** Case- and accent-insensitive filter on title and body, for the picker. */
export function filterCanned(list: CannedResponse[], query: string): CannedResponse[] {
  const fold = (text: string) =>
    text
      .normalize('NFD')
      .replace(/\p{Diacritic}/gu, '')
      .toLowerCase();
  const needle = fold(query.trim());
  if (!needle) return list;
  return list.filter((item) => fold(item.title).includes(needle) || fold(item.body).includes(needle));
}

export type CannedDraftCheck = { ok: true; content: CannedResponsesContent } | { ok: false; problem: string };

/**
 * What a supervisor's edited list becomes before it is saved: blank lines dropped, text trimmed, and anything
 * the protocol would reject named in French (rather than silently cut), so nothing typed is lost.
 */
export function checkCannedDraft(draft: CannedResponse[]): CannedDraftCheck {
  const responses: CannedResponse[] = [];
  for (const [index, item] of draft.entries()) {
    const title = item.title.trim();
    const body = item.body.trim();
    if (!title && !body) continue;
    const position = `Réponse n° ${index + 1}`;
    if (!title) return { ok: false, problem: `${position} : il manque le titre.` };
    if (!body) return { ok: false, problem: `${position} : il manque le texte.` };
    if (title.length > 80) return { ok: false, problem: `${position} : le titre dépasse 80 caractères.` };
    if (body.length > 2000) return { ok: false, problem: `${position} : le texte dépasse 2000 caractères.` };
    responses.push({ id: item.id, title, body });
  }
  if (responses.length === 0) return { ok: false, problem: 'La liste doit garder au moins une réponse.' };
  if (responses.length > 100) return { ok: false, problem: 'Au plus 100 réponses.' };
  const parsed = CannedResponsesContent.safeParse({ responses });
  return parsed.success ? { ok: true, content: parsed.data } : { ok: false, problem: 'Liste invalide.' };
}
