import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { layersRule } from './eslint-rules/layers.js';

export default defineConfig(
  globalIgnores(['node_modules/', 'dist/', 'coverage/', '.lab-cache/']),
  js.configs.recommended,
  tseslint.configs.strict,
  {
    files: ['**/*.{ts,tsx,js,mjs,cjs}'],
    plugins: { headroom: { rules: { layers: layersRule } } },
    rules: {
      'headroom/layers': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports (DEVELOPERS.md, Conventions).' },
        {
          selector: 'ExportSpecifier[exported.name="default"]',
          message: 'Use named exports (DEVELOPERS.md, Conventions).',
        },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports' },
      ],
      // `import { type X }` keeps a run-time import under verbatimModuleSyntax; `import type` does not.
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // ignoreRestSiblings: `const { kind, ...rest } = object` is how a property is left out.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', caughtErrors: 'all', ignoreRestSiblings: true },
      ],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['**/*.{ts,tsx}'],
    rules: { '@typescript-eslint/explicit-module-boundary-types': 'error' },
  },
  {
    // Plain JavaScript here is Node scripts and config; TypeScript files get their globals from tsc.
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: globals.node },
  },
  {
    // Tools find their configuration through the default export.
    files: ['eslint.config.js', '*.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
