// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', '.dubegrid/**', 'coverage/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', fetch: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error',
        { object: 'describe', property: 'only', message: '.only must not be committed' },
        { object: 'it', property: 'only', message: '.only must not be committed' },
        { object: 'test', property: 'only', message: '.only must not be committed' },
        { object: 'describe', property: 'skip', message: 'skipped tests hide defects' },
        { object: 'it', property: 'skip', message: 'skipped tests hide defects' },
        { object: 'test', property: 'skip', message: 'skipped tests hide defects' },
      ],
    },
  },
);
