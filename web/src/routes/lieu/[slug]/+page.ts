import { error } from '@sveltejs/kit';
import { CONTEXTS, contextBySlug } from '#lib/content/contexts.ts';
import type { EntryGenerator, PageLoad } from './$types';

export const load: PageLoad = ({ params }) => {
  const context = contextBySlug(params.slug);
  if (!context) error(404, 'Cette page n’existe pas.');
  return { context };
};

export const entries: EntryGenerator = () => CONTEXTS.map((context) => ({ slug: context.slug }));
