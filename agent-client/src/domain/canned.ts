import { z } from 'zod';
import type { Force } from '@espace-mineurs/protocol';
import type { CannedResponse } from './model.ts';

/**
 * Canned responses of a force: one state event in the force's queue room (every agent of the force reads it;
 * supervisors edit it). Not in the shared protocol package yet: the name is namespaced like the others and
 * proposed for protocol/ in the agent-client report.
 */
export const CANNED_RESPONSES_EVENT = 'fr.espace-mineurs.canned_responses';

export const CannedResponsesContent = z.object({
  responses: z
    .array(z.object({ id: z.string().min(1).max(64), title: z.string().min(1).max(80), body: z.string().min(1).max(2000) }))
    .max(100),
});
export type CannedResponsesContent = z.infer<typeof CannedResponsesContent>;

/** What agents get until a supervisor writes the force's own list. Tutoiement, as the site uses. */
export const DEFAULT_CANNED: Record<Force, CannedResponse[]> = {
  police: [
    { id: 'hello', title: 'Accueil', body: "Bonjour, je suis {pseudo}, policier·e formé·e pour t'écouter. Tu peux tout me dire, à ton rythme. Ce que tu écris ici reste confidentiel." },
    { id: 'danger', title: 'Danger immédiat', body: "Si tu es en danger maintenant, appelle le 17 ou le 112. Si tu ne peux pas parler, envoie un SMS au 114. Je reste avec toi ici." },
    { id: 'safe', title: 'En sécurité ?', body: 'Est-ce que tu es en sécurité là où tu es, en ce moment ?' },
    { id: 'not-alone', title: 'Pas seul·e', body: "Tu as bien fait d'en parler. Ce qui t'arrive n'est pas de ta faute." },
    { id: '3018', title: '3018', body: "Pour le harcèlement en ligne, le 3018 peut t'aider à faire supprimer des contenus : appel, SMS ou appli, gratuit et anonyme." },
    { id: 'bye', title: 'Au revoir', body: "Merci de ta confiance. Tu peux revenir quand tu veux, un policier ou un gendarme sera là." },
  ],
  gendarmerie: [
    { id: 'hello', title: 'Accueil', body: "Bonjour, je suis {pseudo}, gendarme formé·e pour t'écouter. Tu peux tout me dire, à ton rythme. Ce que tu écris ici reste confidentiel." },
    { id: 'danger', title: 'Danger immédiat', body: "Si tu es en danger maintenant, appelle le 17 ou le 112. Si tu ne peux pas parler, envoie un SMS au 114. Je reste avec toi ici." },
    { id: 'safe', title: 'En sécurité ?', body: 'Est-ce que tu es en sécurité là où tu es, en ce moment ?' },
    { id: 'not-alone', title: 'Pas seul·e', body: "Tu as bien fait d'en parler. Ce qui t'arrive n'est pas de ta faute." },
    { id: '119', title: '119', body: "Le 119 (Allô enfance en danger) répond jour et nuit, gratuitement. L'appel n'apparaît pas sur les factures." },
    { id: 'bye', title: 'Au revoir', body: "Merci de ta confiance. Tu peux revenir quand tu veux, un policier ou un gendarme sera là." },
  ],
};

export function cannedFromState(content: unknown, force: Force): CannedResponse[] {
  const parsed = CannedResponsesContent.safeParse(content);
  return parsed.success ? parsed.data.responses : DEFAULT_CANNED[force];
}

/** Fills the placeholders agents may use; the result goes into the composer, to be edited before sending. */
export function fillCanned(body: string, values: { pseudo: string }): string {
  return body.replaceAll('{pseudo}', values.pseudo);
}

/** Case- and accent-insensitive filter on title and body, for the picker. */
export function filterCanned(list: CannedResponse[], query: string): CannedResponse[] {
  const fold = (text: string) => text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
  const needle = fold(query.trim());
  if (!needle) return list;
  return list.filter((item) => fold(item.title).includes(needle) || fold(item.body).includes(needle));
}
