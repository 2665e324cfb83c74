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
    // #read-car: readRepoRecords' CAR reading, with WebCrypto's sha256 in browsers
    'read-car': 'src/read-car.ts',
    'read-car.browser': 'src/read-car.browser.ts',
  }),
  external: ['vitest', '#bytes-index', '#read-car'],
})
