import type { TopicKey } from './topics.ts';

/**
 * The three entry points of the home page. Each one leads to the content that fits it and to the chat.
 * `triageOptionId` is the matching option of the bot's "context" question (bot/triage.yaml): the chat sends it
 * when opening the conversation, so the young person is not asked again where it happens.
 */
export interface Context {
  id: 'home' | 'online' | 'school';
  triageOptionId: string;
  slug: string;
  label: string;
  intro: string;
  examples: readonly string[];
  topics: readonly TopicKey[];
}

export const CONTEXTS: readonly Context[] = [
  {
    id: 'home',
    triageOptionId: 'maison-rue-sport',
    slug: 'maison-rue-sport',
    label: 'À la maison, dans la rue, au sport',
    intro:
      'Chez toi, chez quelqu’un de ta famille, dans la rue, dans les transports, au club ou pendant une activité : personne n’a le droit de te faire du mal.',
    examples: [
      'Un adulte de ta famille te frappe, t’humilie ou te fait peur.',
      'Quelqu’un te touche alors que tu ne veux pas, ou te demande des choses sexuelles.',
      'Un entraîneur, un animateur ou un autre adulte a des gestes qui te mettent mal à l’aise.',
      'On t’a agressé ou racketté dans la rue ou les transports.',
      'Tu vois ou entends des violences entre tes parents.',
      'Quelqu’un te pousse à boire, à fumer, à consommer ou à faire le guet pour un trafic.',
    ],
    topics: ['physical', 'sexual', 'addictions', 'witness'],
  },
  {
    id: 'online',
    triageOptionId: 'reseaux-sociaux',
    slug: 'reseaux-sociaux',
    label: 'Sur les réseaux sociaux',
    intro:
      'Sur Snap, Insta, TikTok, Discord, dans un jeu en ligne ou par messages : ce qui se passe en ligne est réel, et la loi s’y applique aussi.',
    examples: [
      'On t’insulte, on se moque de toi ou on fait circuler des rumeurs en ligne.',
      'Quelqu’un menace de publier une photo ou une vidéo intime de toi si tu ne paies pas ou n’en envoies pas d’autres.',
      'Une photo de toi circule sans ton accord.',
      'Un inconnu, souvent plus âgé, te parle de sexe ou te demande des photos.',
      'Un faux compte se fait passer pour toi.',
    ],
    topics: ['harassment', 'sextortion', 'sexual', 'witness'],
  },
  {
    id: 'school',
    triageOptionId: 'ecole',
    slug: 'ecole-college-lycee',
    label: 'Au sein de l’école, du collège ou du lycée',
    intro:
      'En classe, dans la cour, à la cantine, dans le bus scolaire ou sur le groupe de la classe : l’école doit être un endroit où tu es en sécurité.',
    examples: [
      'Les mêmes élèves s’en prennent à toi encore et encore : moqueries, bousculades, mise à l’écart.',
      'On te vole ou on te force à donner de l’argent ou des affaires.',
      'Tu as vu quelqu’un se faire harceler ou frapper et tu ne sais pas quoi faire.',
      'Un adulte de l’établissement a un comportement qui te met mal à l’aise.',
      'On fait tourner des photos ou des messages sur toi dans le groupe de la classe.',
    ],
    topics: ['harassment', 'physical', 'sexual', 'witness'],
  },
];

export function contextBySlug(slug: string): Context | undefined {
  return CONTEXTS.find((context) => context.slug === slug);
}

/** The context the chat was opened from (?lieu=…), only if it is one we know: the value goes to the bot. */
export function triageContextFromQuery(value: string | null): string | undefined {
  return CONTEXTS.find((context) => context.triageOptionId === value)?.triageOptionId;
}
