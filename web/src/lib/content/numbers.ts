/** Emergency and help numbers, with what each one is for, in words an 11-year-old understands. */
export interface HelpNumber {
  number: string;
  /** tel: or sms: link, so a tap on a phone calls or opens a text message. */
  href: string;
  name: string;
  when: string;
  how: string;
}

export const EMERGENCY_NUMBERS: readonly HelpNumber[] = [
  {
    number: '17',
    href: 'tel:17',
    name: 'Police secours',
    when: 'Tu es en danger maintenant, ou quelqu’un l’est devant toi : la police ou la gendarmerie vient.',
    how: 'Appel gratuit, jour et nuit.',
  },
  {
    number: '112',
    href: 'tel:112',
    name: 'Urgences, partout en Europe',
    when: 'Toute urgence (danger, accident, malaise), en France ou dans un autre pays d’Europe.',
    how: 'Appel gratuit, jour et nuit, même sans forfait.',
  },
  {
    number: '114',
    href: 'sms:114',
    name: 'Urgence par SMS',
    when: 'Tu ne peux pas parler : quelqu’un pourrait t’entendre, ou tu es sourd ou malentendant. Écris où tu es et ce qui se passe.',
    how: 'SMS gratuit, jour et nuit.',
  },
  {
    number: '119',
    href: 'tel:119',
    name: 'Allô Enfance en danger',
    when: 'Tu subis des violences ou tu t’inquiètes pour un autre jeune, à la maison ou ailleurs.',
    how: 'Appel gratuit, jour et nuit. Il n’apparaît pas sur la facture.',
  },
  {
    number: '3018',
    href: 'tel:3018',
    name: 'Violences en ligne',
    when: 'Cyberharcèlement, photo ou vidéo intime qui circule, chantage sur internet, harcèlement à l’école : on t’aide à faire supprimer les contenus.',
    how: 'Gratuit, anonyme, tous les jours de 9 h à 23 h. Aussi par tchat et par l’appli 3018.',
  },
];
