import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS and ESM builds; Node loads the CJS one for the server's dependencies,
    // so the tests must too, or GraphQLError instances would come from two different classes.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts', 'sdk/test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/quiet-logs.ts'],
    // Generous, because some tests seed 100,000 rows or start whole processes, and a shared
    // machine can run them several times slower than an idle one; a hang still fails.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // What a page shows after a refetch or a live update can take seconds on a loaded machine;
    // a poll's default second made the portal's tests fail there while the page was right.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
  },
});
