// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
  namespace App {}
  interface Window {
    /** Set by app.html's inline script: the id of a data-early-tap button tapped before the page was live. */
    __espaceEarlyTap?: string;
  }
}

export {};
