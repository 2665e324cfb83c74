import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// The runtime-specific WebSocket defaults are separate entries reached through the
// `#socket-default` package import, so the browser build never pulls in `ws`.
export default defineConfig({
  ...packageBuild({
    index: 'src/index.ts',
    node: 'src/node.ts',
    // describeSyncStoreContract for other packages' store tests (imports vitest)
    testing: 'src/testing.ts',
    // CommitAuthPool starts dist/auth-worker.js on its worker threads
    'auth-worker': 'src/auth-worker.node.ts',
    'socket-default.node': 'src/ws/default.node.ts',
    'socket-default.browser': 'src/ws/default.browser.ts',
  }),
  external: ['#socket-default', 'ws', 'vitest', /^node:/],
})
