import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

export default defineConfig({
  ...packageBuild({
    index: 'src/index.ts',
    read: 'src/read.ts',
    // describeRepoStorageContract for other packages' storage tests (imports vitest)
    testing: 'src/testing.ts',
    // #bytes-index: the typed-array index for Node and servers, a Map in browsers
    'bytes-index': 'src/bytes-index.ts',
    'bytes-index.browser': 'src/bytes-index.browser.ts',
  }),
  external: ['vitest', '#bytes-index'],
})
