// @ts-check
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';
import boundaries from 'eslint-plugin-boundaries';

/**
 * The layers of main/, bottom to top; an element may import only what its rule
 * allows (eslint-plugin-boundaries). This is the picture of the house:
 *
 *   common/                          the protocol, shared by every process
 *   main/base                        logging, ids, crypto, formats: nothing of main
 *   main/store  main/media           SQLite (the only SQL); the mediasoup engine
 *   main/classroom                   the service kernel: connections, checks, the class
 *   main/<feature>                   one folder each; a feature imports another only as listed in FEATURE_DEPS
 *   main/features.ts                 the registry of features
 *   main/hub  main/electron          transports
 *   main/app.ts  main/index.ts  main/cli   composition and entry points
 *   main/platform                    the district platform: its own program (common + base only)
 */
const FEATURES = ['lesson', 'groups', 'interaction', 'share', 'live', 'recording', 'sync', 'courseware', 'identity', 'bundle', 'storage'];
/** Which features a feature may import (acyclic by construction: keep it so). */
const FEATURE_DEPS = {
  interaction: ['groups', 'live', 'courseware', 'identity'],
  share: ['groups'],
  sync: ['courseware', 'identity'],
  identity: ['courseware'],
  bundle: ['identity', 'sync', 'courseware'],
  storage: ['identity'],
};
const R_FEATURES = ['board', 'console', 'groups', 'interaction', 'join', 'lesson', 'live', 'presenter', 'recording', 'share', 'signin', 'sync'];
/** Which renderer features a feature may import (the screens that compose panels of others); acyclic by construction. */
const R_FEATURE_DEPS = {
  console: ['groups', 'interaction', 'live', 'recording', 'share', 'signin', 'sync'],
  board: ['interaction', 'share'],
  join: ['interaction', 'share'],
  presenter: ['lesson'],
};
const mainElements = [
  { type: 'common', pattern: 'common' },
  { type: 'base', pattern: 'main/base' },
  { type: 'store', pattern: 'main/store' },
  { type: 'media', pattern: 'main/media' },
  { type: 'kernel', pattern: 'main/classroom' },
  { type: 'feature', pattern: `main/(${FEATURES.join('|')})`, capture: ['name'] },
  { type: 'registry', pattern: 'main/features.ts', mode: 'file' },
  { type: 'transport', pattern: 'main/(hub|electron)', capture: ['name'] },
  { type: 'entry', pattern: 'main/(app|index).ts', mode: 'file' },
  { type: 'entry', pattern: 'main/cli' },
  { type: 'platform', pattern: 'main/platform' },
  { type: 'preload', pattern: 'preload' },
  // The renderer's layers, bottom to top (renderer/src).
  { type: 'r-shared', pattern: 'renderer/src/shared' },
  { type: 'r-transport', pattern: 'renderer/src/transport' },
  { type: 'r-i18n', pattern: 'renderer/src/i18n' },
  { type: 'r-ink', pattern: 'renderer/src/ink' },
  { type: 'r-courseware', pattern: 'renderer/src/courseware' },
  { type: 'r-stores', pattern: 'renderer/src/stores' },
  { type: 'r-router', pattern: 'renderer/src/router.ts', mode: 'file' },
  { type: 'r-components', pattern: 'renderer/src/components' },
  { type: 'r-feature', pattern: `renderer/src/features/(${R_FEATURES.join('|')})`, capture: ['name'] },
  { type: 'r-app', pattern: 'renderer/src/(App.vue|main.ts|env.d.ts)', mode: 'file' },
  { type: 'r-app', pattern: 'renderer/src/styles' },
  { type: 'renderer', pattern: 'renderer' },
];
const to = (type, name) => ({ to: { element: name ? { type, captured: { name } } : { type } } });
const from = (type, name) => ({ element: name ? { type, captured: { name } } : { type } });
const below = [to('common'), to('base')];
const layerPolicies = [
  { from: from('base'), allow: [to('common')] },
  { from: from('store'), allow: below },
  { from: from('media'), allow: below },
  { from: from('kernel'), allow: [...below, to('store')] },
  ...FEATURES.map((name) => ({
    from: from('feature', name),
    allow: [...below, to('store'), to('media'), to('kernel'), ...(FEATURE_DEPS[name] ?? []).map((dep) => to('feature', dep))],
  })),
  { from: from('registry'), allow: [...below, to('kernel'), to('feature')] },
  { from: from('transport', 'hub'), allow: [...below, to('store'), to('kernel'), to('feature')] },
  { from: from('transport', 'electron'), allow: [...below, to('kernel')] },
  { from: from('entry'), allow: [...below, to('store'), to('media'), to('kernel'), to('feature'), to('registry'), to('transport'), to('entry'), to('platform')] },
  { from: from('platform'), allow: below },
  { from: from('preload'), allow: [to('common')] },
  { from: from('r-shared'), allow: [to('common')] },
  { from: from('r-transport'), allow: [to('common'), to('r-shared')] },
  { from: from('r-i18n'), allow: [to('common'), to('r-transport'), to('r-shared')] },
  { from: from('r-ink'), allow: [to('common'), to('r-transport'), to('r-shared')] },
  { from: from('r-courseware'), allow: [to('common'), to('r-ink'), to('r-shared')] },
  { from: from('r-stores'), allow: [to('common'), to('r-transport'), to('r-shared'), to('r-i18n')] },
  { from: from('r-router'), allow: [to('common'), to('r-transport'), to('r-shared')] },
  { from: from('r-components'), allow: [to('common'), to('r-stores'), to('r-i18n'), to('r-transport'), to('r-shared')] },
  ...R_FEATURES.map((name) => ({
    from: from('r-feature', name),
    allow: [...['common', 'r-components', 'r-stores', 'r-courseware', 'r-ink', 'r-i18n', 'r-router', 'r-transport', 'r-shared'].map((t) => to(t)), ...(R_FEATURE_DEPS[name] ?? []).map((dep) => to('r-feature', dep))],
  })),
  { from: from('r-app'), allow: [to('common'), ...['r-shared', 'r-transport', 'r-i18n', 'r-ink', 'r-courseware', 'r-stores', 'r-router', 'r-components', 'r-feature', 'r-app'].map((t) => to(t))] },
  { from: from('renderer'), allow: [to('common'), to('renderer')] },
];

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
    files: ['main/**/*.ts', 'common/**/*.ts', 'preload/**/*.ts', 'renderer/**/*.ts', 'renderer/**/*.vue'],
    plugins: { boundaries },
    // mode: 'file' (flagged as legacy by v7) is still how a single file (app.ts, features.ts) is an element.
    settings: { 'boundaries/elements': mainElements, 'boundaries/include': ['main/**', 'common/**', 'preload/**', 'renderer/**'], 'boundaries/legacy-warnings': false },
    rules: { 'boundaries/dependencies': ['error', { default: 'disallow', policies: layerPolicies }] },
  },
  {
    // A newcomer reads a file and a function whole: no product file over 600 lines (message tables aside), no function over ~150.
    files: ['main/**/*.ts', 'common/**/*.ts', 'preload/**/*.ts', 'renderer/src/**/*.ts', 'renderer/src/**/*.vue', 'build/**/*.ts', 'bench/**/*.ts'],
    ignores: ['renderer/src/i18n/zh-CN.ts', 'renderer/src/i18n/en.ts'],
    rules: {
      'max-lines': ['error', { max: 600 }],
      'max-lines-per-function': ['error', { max: 150, skipBlankLines: true, skipComments: true }],
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
