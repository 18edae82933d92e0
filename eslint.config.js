// @ts-check
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';

/** Only the Electron edge may load `electron` as a value (docs/architecture.md, rule 1). */
const noElectronValueImports = {
  'no-restricted-imports': [
    'error',
    {
      paths: [
        { name: 'electron', message: "Only main/electron/** and main/index.ts may import 'electron' as a value; use `import type` or take a small interface.", allowTypeImports: true },
        { name: 'electron/main', message: 'Only main/electron/** may import electron.', allowTypeImports: true },
        { name: 'electron/common', message: 'Only main/electron/** may import electron.', allowTypeImports: true },
        { name: 'better-sqlite3', message: 'Only main/store/** (and the platform, its own program with its own database: main/platform/**) touches the database (architecture rule 4).', allowTypeImports: true },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'release/**', 'native/**/build/**', '**/*.d.ts', 'tests/e2e/fixtures/**'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/first-attribute-linebreak': 'off',
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
      ...noElectronValueImports,
    },
  },
  {
    files: ['main/electron/**/*.ts', 'main/index.ts', 'preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'better-sqlite3', message: 'Only main/store/** touches the database.', allowTypeImports: true }] }],
    },
  },
  {
    files: ['main/store/**/*.ts', 'main/platform/**/*.ts', 'tests/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Tests and the store run in plain Node: no value import of electron.', allowTypeImports: true }] }],
    },
  },
  {
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*', 'electron', 'electron/*', 'better-sqlite3', 'socket.io', 'vue', 'pinia'], message: 'common/ is pure TypeScript shared by every process: no node:, electron, DOM or framework imports.' }] },
      ],
    },
  },
);
