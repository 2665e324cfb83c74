import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// Two entries: index (pure JS, browsers) and index.node (native OpenSSL), chosen by export conditions;
// sha256 alone behind `@rsky/crypto/sha256` (OpenSSL in Node, else the small JavaScript sha256 of
// sha256-js.ts) and base58btc behind `@rsky/crypto/base58`, for packages that need only those
// (dag-cbor, car, mst) and must not bundle the curves. The main entry uses that same sha256 and
// the package's own point arithmetic (src/weierstrass.ts).
export default defineConfig({
  ...packageBuild({
    index: 'src/index.ts',
    'index.node': 'src/index.node.ts',
    'sha256.node': 'src/sha256.node.ts',
    base58: 'src/base58.ts',
    'sha256-js': 'src/sha256-js.ts',
    'base58-encode': 'src/base58-encode.ts',
    'base58-encode.browser': 'src/base58-encode.browser.ts',
  }),
  // #base58-encode stays an import: browsers resolve it to base58-encode.browser.js.
  external: ['#base58-encode'],
  platform: 'node',
})
