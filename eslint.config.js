import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'dist-web/',
      'coverage/',
      'node_modules/',
      '.devkit/',
      'scratch/',
      '.scratch/',
      'bench/results/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        fetch: 'readonly',
      },
    },
  },
  {
    // Shared code must not reach for a platform: only the Node-side layers (platform, cli, and the
    // history databases and server, which exist only in Node) may import Dawn or Node APIs.
    files: ['src/**/*.ts'],
    ignores: ['src/platform/**', 'src/cli/**', 'src/history/**', 'src/server/**', 'src/cli.ts', 'src/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['webgpu', 'node:*', 'fs', 'path', 'os', 'child_process'],
              message:
                'Only src/platform/, src/cli/, src/history/ and src/server/ may use Node or Dawn; take ' +
                'what you need as a parameter.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'Shared code receives what it needs; process is for src/platform/ and src/cli/.' },
        { name: 'navigator', message: 'navigator belongs to src/platform/browser.' },
      ],
    },
  },
);
