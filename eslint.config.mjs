// ESLint (flat config): typescript-eslint's recommended rules for the TypeScript of src/ and
// nodes/, ESLint's recommended rules for the JavaScript of tests, scripts, benchmarks and the
// shared editor script. Formatting is Prettier's (.prettierrc.json), not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-artifacts/**', 'coverage/**', '.cache/**'] },
  {
    files: ['src/**/*.ts', 'nodes/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // const node = this: the Node-RED idiom for a node's constructor
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
      // a let read by a closure before its one assignment (a stop handler set up first) stays a let
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['test/**/*.js', 'scripts/**/*.js', 'bench/**/*.js', '*.js', '*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', ecmaVersion: 2023, globals: { ...globals.node, ...globals.mocha } },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  { files: ['eslint.config.mjs'], languageOptions: { sourceType: 'module' } },
  {
    // Browser code: the shared editor script, and test code that page.evaluate() runs in the page.
    files: ['resources/**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: {
      sourceType: 'script',
      ecmaVersion: 5,
      globals: { ...globals.browser, RED: 'readonly', $: 'readonly', jQuery: 'readonly' },
    },
  },
  {
    files: ['test/browser/**/*.js'],
    languageOptions: { globals: { ...globals.browser, RED: 'readonly', $: 'readonly', IotOpenEditor: 'readonly' } },
  },
);
