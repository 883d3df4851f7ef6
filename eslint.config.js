// One lint gate: no floating promises, type-only imports, no deep imports into another lib.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.seamline/**', 'coverage/**', '**/*.js', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Subpaths a lib's package.json `exports` declares are public entries too.
              group: [
                '@seamline/*/*',
                '!@seamline/effect-service/process',
                '!@seamline/effect-service/testing',
              ],
              message:
                'Import a lib through its public entry (@seamline/<lib>), never its internals.',
            },
            {
              group: ['**/libs/*/src/**', '../../libs/**', '../../../libs/**'],
              message: 'Import a lib through its public entry (@seamline/<lib>).',
            },
          ],
        },
      ],
    },
  },
);
