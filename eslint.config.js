// typescript-eslint flat config: recommended rules, type-aware where cheap, and the module
// boundary: core never imports modules; a module imports core only through its public API
// files (api, transport-api, sasl-api, http-api, websocket-api, pubsub-api, invites-api, muc-api, mam-api) and never another module;
// lib/testing (shipped as xmpp-server-core/testing) never imports from spec/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const PUBLIC_API = '(api|transport-api|sasl-api|http-api|websocket-api|pubsub-api|invites-api|muc-api|mam-api)';

export default tseslint.config(
  { ignores: ['build/**', '.build-*/**', 'node_modules/**', 'examples/web/vendor/**', 'examples/web/*.bundle.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      'max-len': ['error', { code: 180, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
    },
  },
  {
    files: ['lib/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '(^|/)modules/', message: 'The core never imports from lib/modules: grow the public API instead.' },
          { regex: '(^|/)testing/', message: 'The core never imports from lib/testing (the test runner is built on the core, not the reverse).' },
        ],
      }],
    },
  },
  {
    // xmpp-server-core/testing is shipped: it never reaches into the repository's tests.
    files: ['lib/testing/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '(^|/)spec/', message: 'lib/testing is shipped code: it never imports from spec/.' },
          { regex: '(^|/)modules/', message: 'lib/testing reaches modules through createServer (lib/index.ts), never by importing one.' },
        ],
      }],
    },
  },
  {
    files: ['lib/modules/**/*.ts'],
    ignores: ['lib/modules/index.ts'], // the registry of built-in modules, not a module
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: `^\\.\\./\\.\\./core/(?!${PUBLIC_API}\\.js$)`, message: 'Modules import core only through its public API files (api, transport-api, sasl-api, http-api, websocket-api, pubsub-api, invites-api, muc-api, mam-api).' },
          { regex: '^\\.\\./(?!\\.\\./core/)', message: 'A module never imports another module (or anything outside core\'s public API): share through events, items and services.' },
          { regex: '^\\.\\./\\.\\./\\.\\.', message: 'Modules import core only through its public API files.' },
        ],
      }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
