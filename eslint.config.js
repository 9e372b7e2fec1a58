// ESLint (flat config): JavaScript's and typescript-eslint's recommended rules over the TypeScript
// sources, the tests, the benchmarks and the scripts. Formatting is Prettier's job (.prettierrc.json).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'results/', 'node_modules/', 'dashboards/', 'test-artifacts/', '.cache/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      // `_name` marks a deliberately unused binding (a destructured-away key, an interface's parameter)
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          caughtErrors: 'none',
        },
      ],
    },
  },
);
