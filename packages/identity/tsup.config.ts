import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// The runtime-specific DNS defaults are separate entries reached through the `#dns-default`
// package import, so the browser build never pulls in node:dgram.
export default defineConfig({
  ...packageBuild({
    index: 'src/index.ts',
    'dns.node': 'src/dns.node.ts',
    'dns-default.node': 'src/dns/default.node.ts',
    'dns-default.browser': 'src/dns/default.browser.ts',
  }),
  external: ['#dns-default', /^node:/],
})
