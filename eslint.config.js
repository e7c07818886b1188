// One ESLint configuration for the whole repository (`npm run lint`). It looks for bugs, not style: layout is
// Prettier's job (`npm run format`). The rules that need type information are the few that catch real defects
// in this code base (promises nobody awaits, promises passed where a plain function is expected).
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      '**/build/',
      '**/.svelte-kit/',
      '**/.data/',
      '**/coverage/',
      '**/test-results/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A `_` prefix says "unused on purpose" (a callback's position, a destructured field left out).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'none',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'error',
      // User strings are rendered as text, never as HTML (the privacy and safety rules of the README).
      'svelte/no-at-html-tags': 'error',
      // Only matters for a site served under a base path (`paths.base`), which ours never is; the site's links
      // are plain root-relative paths on purpose.
      'svelte/no-navigation-without-resolve': 'off',
      // Flags every Map or Set in a .svelte.ts module, including the private, non-reactive ones the apps keep on
      // purpose (timers, a local set of ids). Left off until those sites say so case by case.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    // The browser apps.
    files: ['web/src/**', 'agent-client/src/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // TypeScript inside Svelte components and rune modules.
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: {
        parser: tseslint.parser,
        extraFileExtensions: ['.svelte'],
      },
    },
  },
  {
    // Type-aware rules, on TypeScript files only.
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  {
    // Command-line entry points and scripts print to the terminal on purpose.
    files: ['scripts/**', '**/scripts/**', '**/cli.ts', 'stubs/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // CommonJS.
    files: ['**/*.cjs', 'stubs/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
