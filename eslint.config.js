// @ts-check
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * Layering, enforced (issue 14). Which part of src/ may import which:
 * - no consumer (src/consumers/<x>/) imports another consumer; all may import the kit
 *   (src/consumers/kit/), which imports no consumer;
 * - nothing in src/producers/, src/consumers/ or src/lake/ imports src/local/, src/ops/, src/cli/
 *   or src/generate/ (what runs as a Lambda never reaches the embedded runtime, the
 *   operator tools or the test-data generator);
 * - src/shared/ imports nothing from the rest of src/;
 * - src/api/ (the HTTP app, also a Lambda) imports neither src/local/, src/cli/ nor src/generate/.
 *
 * Built from the directories on disk, so a new consumer or a new part of src/ is
 * covered without editing this file. `no-restricted-imports` matches the import
 * string, not the resolved file, so the patterns are written per depth below each
 * area: a file n folders down must climb n more `../` to leave it. (One config block
 * per file set: flat config replaces a rule's options, it does not merge them.) The
 * rule sees static imports and re-exports, not `import()`: these areas have none.
 * test/unit/layering.unit.spec.ts shows each rule failing a wrong import.
 */
const SRC = fileURLToPath(new URL('./src/', import.meta.url));
/** @param {string} dir */
const dirsIn = (dir) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
const AREAS = dirsIn(SRC);
const KIT = 'kit';
// the kit is a consumer folder too (it must not import a consumer), whether it exists yet or not
const CONSUMERS = [...new Set([...dirsIn(`${SRC}consumers`), KIT])].sort();
/** What production code (producers, consumers) must never reach. */
const NOT_FROM_PRODUCTION = ['local', 'ops', 'cli', 'generate'];
/** Deep enough for every folder under an area today, with room to grow. */
const MAX_DEPTH = 6;

/** @param {string} s */
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The `no-restricted-imports` pattern forbidding, in a file `depth` folders below
 * `src/<home>/`, any relative import of `src/<target>` (the folder, or a file in it).
 * Every route is covered: up to each common ancestor of home and target, then down.
 * @param {string} home
 * @param {number} depth
 * @param {string} target
 * @param {string} message
 */
function forbid(home, depth, target, message) {
  const homeParts = home.split('/');
  const targetParts = target.split('/');
  let common = 0;
  while (common < homeParts.length && homeParts[common] === targetParts[common]) common++;
  const routes = [];
  for (let ancestor = common; ancestor >= 0; ancestor--) {
    const up = homeParts.length - ancestor + depth;
    routes.push(`(\\.\\./){${up}}${targetParts.slice(ancestor).map(escape).join('/')}`);
  }
  return { regex: `^(${routes.join('|')})(/|\\.[cm]?[jt]s$|$)`, message };
}

/**
 * The config block forbidding `targets` in `files`, which lie `depth` folders below `src/<home>/`.
 * @param {string} home
 * @param {number} depth
 * @param {{ target: string, message: string }[]} targets
 * @param {string[]} files
 */
const block = (home, depth, targets, files) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: targets.map(({ target, message }) => forbid(home, depth, target, message)) },
    ],
  },
});

/**
 * One config block per depth below `src/<home>/`, forbidding `targets` there.
 * @param {string} home
 * @param {{ target: string, message: string }[]} targets
 */
const layer = (home, targets) =>
  Array.from({ length: MAX_DEPTH + 1 }, (_, depth) =>
    block(home, depth, targets, [`src/${home}/${'*/'.repeat(depth)}*.{ts,js,mjs}`]),
  );

/** @param {string} home */
const productionTargets = (home) =>
  NOT_FROM_PRODUCTION.map((area) => ({
    target: area,
    message: `src/${home}/ runs as (part of) a Lambda: it must not import src/${area}/. Move what both need into src/shared/ (layering rule in eslint.config.js).`,
  }));

/** @param {string} consumer */
const consumerTargets = (consumer) => [
  ...productionTargets(`consumers/${consumer}`),
  ...CONSUMERS.filter((other) => other !== consumer && other !== KIT).map((other) => ({
    target: `consumers/${other}`,
    message: `a consumer never imports another consumer: src/consumers/${consumer}/ must not import src/consumers/${other}/. Share it through src/consumers/${KIT}/ or src/shared/ (layering rule in eslint.config.js).`,
  })),
];

/** The HTTP app runs as a Lambda too: the embedded runtime, the CLI and the generator stay out of it. */
const API_TARGETS = ['local', 'cli', 'generate'].map((area) => ({
  target: area,
  message: `src/api/ runs as a Lambda behind API Gateway: it must not import src/${area}/. Pass what it needs in through ApiDeps (layering rule in eslint.config.js).`,
}));

const LAYERING = [
  ...layer('producers', productionTargets('producers')),
  // the lake core runs in the compaction Lambda (and rebuilds the lake from the stream)
  ...layer('lake', productionTargets('lake')),
  ...layer('api', API_TARGETS),
  ...CONSUMERS.flatMap((consumer) => layer(`consumers/${consumer}`, consumerTargets(consumer))),
  ...layer(
    'shared',
    AREAS.filter((area) => area !== 'shared').map((area) => ({
      target: area,
      message: `src/shared/ is the bottom layer: it imports nothing from the rest of src/ (here src/${area}/). Move the piece into src/shared/ or pass it in (layering rule in eslint.config.js).`,
    })),
  ),
  // The console runs in the browser: it may read src/shared/ (pure definitions) and the
  // API's response types (type-only imports, erased by esbuild), nothing that needs Node.
  ...layer(
    'console/app',
    AREAS.filter((area) => !['shared', 'console', 'api'].includes(area)).map((area) => ({
      target: area,
      message: `src/console/app/ is bundled for the browser: it must not import src/${area}/ (Node code). Use src/shared/ or the API's types (layering rule in eslint.config.js).`,
    })),
  ),
  // after the blocks above, so these files' options replace theirs
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', '.dubegrid/**', 'coverage/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'describe', property: 'only', message: '.only must not be committed' },
        { object: 'it', property: 'only', message: '.only must not be committed' },
        { object: 'test', property: 'only', message: '.only must not be committed' },
        { object: 'describe', property: 'skip', message: 'skipped tests hide defects' },
        { object: 'it', property: 'skip', message: 'skipped tests hide defects' },
        { object: 'test', property: 'skip', message: 'skipped tests hide defects' },
      ],
    },
  },
  ...LAYERING,
);
