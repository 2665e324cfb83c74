import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// Two entries: index (pure JS, browsers) and index.node (native OpenSSL), chosen by export conditions;
// sha256 alone behind `@rsky/crypto/sha256` (same split) and base58btc behind `@rsky/crypto/base58`,
// for packages that need only those (dag-cbor, car) and must not bundle the curves.
export default defineConfig({
  ...packageBuild({
    index: 'src/index.ts',
    'index.node': 'src/index.node.ts',
    'sha256.browser': 'src/sha256.browser.ts',
    'sha256.node': 'src/sha256.node.ts',
    base58: 'src/base58.ts',
  }),
  platform: 'node',
})
