// Mutation testing of what ships to Lambda (`npm run mutation`, see docs/development.md and test/MUTATION.md).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['lib/**/*.ts'],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  appendPlugins: ['./scripts/mutation-ignorers.mjs'],
  ignorers: ['logging', 'metric-names'],
  // Stryker rewrites the tsconfig with the TypeScript compiler API, which TypeScript 7 no longer
  // ships; our tsconfig has no `extends` or `references` to rewrite, so name no file at all.
  tsconfigFile: '',
  // Static mutants (in code run when a module loads: tables, constants) need the whole suite
  // rerun for each, in a fresh process: here they were a tenth of the mutants and 85% of the
  // time. They are left out (counted as ignored); MUTATION_STATIC=1 npm run mutation tests them too.
  ignoreStatic: process.env.MUTATION_STATIC !== '1',
  incremental: true,
  // Kept in the repository, so that any clone's first run retests only what changed since.
  incrementalFile: 'test/mutation/incremental.json',
  reporters: ['html', 'json', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Two cores, shared: more test runners only make them fight (`--concurrency 1` to leave one free).
  concurrency: 2,
  thresholds: { high: 90, low: 85, break: null },
  // The sandbox copies the project; the template checks' Python tools (`.venv/`, made by the
  // first `npm test`, with a `lib64` link Stryker cannot copy) and other runs' outputs stay out.
  ignorePatterns: ['.venv', 'reports', 'chaos/.tmp', 'bench/.tmp', '.serverless'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
