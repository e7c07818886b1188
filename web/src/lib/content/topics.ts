/** The content pages, in the order the site lists them. Slugs are the URLs under /infos/. */
export interface Topic {
  slug: string;
  title: string;
  summary: string;
}

export const TOPICS = {
  physical: {
    slug: 'violences-physiques',
    title: 'Les violences physiques',
    summary: 'Coups, gifles, bousculades, enfermement : à la maison, dans la rue ou au sport.',
  },
  sexual: {
    slug: 'violences-sexuelles',
    title: 'Les violences sexuelles',
    summary: 'Gestes, attouchements, photos ou propos sexuels imposés : ce n’est jamais ta faute.',
  },
  harassment: {
    slug: 'harcelement',
    title: 'Le harcèlement et le cyberharcèlement',
    summary: 'Moqueries, insultes, rumeurs, mise à l’écart, messages en boucle, à l’école ou en ligne.',
  },
  sextortion: {
    slug: 'sextorsion',
    title: 'La sextorsion (chantage avec des images)',
    summary: 'Quelqu’un menace de diffuser une photo ou une vidéo intime de toi : que faire tout de suite.',
  },
  addictions: {
    slug: 'addictions',
    title: 'Les addictions',
    summary: 'Alcool, cannabis, proto, écrans, jeux d’argent, ou quelqu’un qui te pousse à consommer ou à dealer.',
  },
  witness: {
    slug: 'victime-ou-temoin',
    title: 'Victime ou témoin : tu peux en parler',
    summary: 'Ce qui t’arrive, ou ce que tu as vu arriver à quelqu’un d’autre : les deux comptent.',
  },
  howItWorks: {
    slug: 'comment-ca-marche',
    title: 'Ce qui se passe quand tu nous écris',
    summary: 'Qui te répond, les questions qu’on te pose, l’attente, ce qu’on garde et ce qu’on ne fait pas.',
  },
} as const satisfies Record<string, Topic>;

export type TopicKey = keyof typeof TOPICS;

export const TOPIC_ORDER: readonly TopicKey[] = [
  'physical',
  'sexual',
  'harassment',
  'sextortion',
  'addictions',
  'witness',
  'howItWorks',
];

export function topicHref(key: TopicKey): string {
  return `/infos/${TOPICS[key].slug}`;
}
