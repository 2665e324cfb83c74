import { defineConfig, type ViteUserConfig } from 'vitest/config'

// One config for the whole workspace. The "source" condition makes @rsky/* imports resolve to
// each package's src/ so tests never run against a stale build.
const config: ViteUserConfig = defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'test-vectors/src/**/*.test.ts',
      'benchmarks/src/**/*.test.ts',
      'browser-tests/src/**/*.test.ts',
    ],
    globalSetup: ['./test-vectors/src/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})

export default config
