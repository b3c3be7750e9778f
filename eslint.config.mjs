// typescript-eslint over every TypeScript source, plus React's hook rules for the
// renderer. `npm test` runs it beside the type check and the layering lint.
// Start from the recommended sets; what is turned off below fights the house style
// on purpose, and says why.
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', '.bench/**', 'test/fixtures/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // Parsed CloudTrail records are open-ended JSON; `any` at those edges is deliberate
      // (the zod schemas of the API contract are where types are enforced).
      '@typescript-eslint/no-explicit-any': 'off',
      // A leading underscore marks a parameter or binding kept for its position.
      // Control characters in a pattern are always deliberate here (hostile text is escaped or refused),
      // so each one says so with a directive.
      'no-control-regex': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['renderer/**/*.tsx', 'renderer/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
);
