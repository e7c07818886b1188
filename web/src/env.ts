import { defineEnvVars } from '@sveltejs/kit/env';
import { parseBaseUrl } from './lib/config/urls.ts';

/**
 * The site's configuration: every value comes from the environment when the server starts (not at build),
 * is validated here, and is read through $app/env/public. Defaults suit local development.
 */
export const variables = defineEnvVars({
  PUBLIC_HOMESERVER_URL: {
    public: true,
    description: "Synapse's client-server API as the browser reaches it.",
    schema: (value) => parseBaseUrl('PUBLIC_HOMESERVER_URL', value, 'http://127.0.0.1:8008'),
  },
  PUBLIC_BOT_API_URL: {
    public: true,
    description: "The bot's HTTP API (POST /api/conversations…) as the browser reaches it.",
    schema: (value) => parseBaseUrl('PUBLIC_BOT_API_URL', value, 'http://127.0.0.1:8090'),
  },
  PUBLIC_QUICK_EXIT_URL: {
    public: true,
    description: 'The neutral page the quick-exit button replaces the site with.',
    schema: (value) => parseBaseUrl('PUBLIC_QUICK_EXIT_URL', value, 'https://www.google.fr'),
  },
});
