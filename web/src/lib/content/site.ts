/**
 * The one title every page uses. It shows in the tab, the history and the task switcher, where someone
 * looking over a young person's shoulder must not learn what they were reading.
 */
export const NEUTRAL_TITLE = 'Infos pratiques';
