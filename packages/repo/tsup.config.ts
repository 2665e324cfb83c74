import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

export default defineConfig({
  ...packageBuild({
    index: 'src/index.ts',
    read: 'src/read.ts',
    // describeRepoStorageContract for other packages' storage tests (imports vitest)
    testing: 'src/testing.ts',
  }),
  external: ['vitest'],
})
