import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// The node:http and WebSocket host is a separate entry (`@rsky/xrpc/node`), so the main entry
// stays free of node:* and `ws` for browsers and workers.
export default defineConfig({
  ...packageBuild({ index: 'src/index.ts', node: 'src/node.ts' }),
  external: ['ws', /^node:/],
})
