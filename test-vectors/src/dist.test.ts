// The published builds: every package must load on the machine's own Node (20.19+ is supported;
// the tests themselves run on Node 24) and bundle for browsers without pulling in node:* modules.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const packages = readdirSync(join(root, 'packages')).filter((p) =>
  existsSync(join(root, 'packages', p, 'package.json')),
)
const built = packages.every((p) => existsSync(join(root, 'packages', p, 'dist', 'index.js')))
// In CI the build always runs first; locally, build with `pnpm build` to run these.
const run = built || process.env['CI'] === 'true'
const hostNode = process.env['RSKY_HOST_NODE'] ?? process.execPath

describe.runIf(run)('built packages', () => {
  it.each(packages)('@rsky/%s loads on the machine Node', (name) => {
    // benchmarks/ links every workspace package, and without the "source" condition Node
    // resolves them to dist/ exactly as an installed copy would.
    const script = `const m = await import('@rsky/${name}'); if (Object.keys(m).length === 0) throw new Error('no exports'); console.log(process.version)`
    const r = spawnSync(hostNode, ['--input-type=module', '-e', script], {
      cwd: join(root, 'benchmarks'),
      encoding: 'utf8',
    })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  })

  const browserPackages = packages.filter((p) => p !== 'cli')
  it.each(browserPackages)('@rsky/%s bundles for browsers with no node: imports', async (name) => {
    const result = await build({
      stdin: {
        contents: `export * from '@rsky/${name}'`,
        resolveDir: join(root, 'benchmarks'),
        loader: 'js',
      },
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
      // ws is Node-only and optional in the browser build of @rsky/sync (the global WebSocket is used).
      external: ['ws'],
    })
    const inputs = Object.keys(result.metafile.inputs)
    expect(
      inputs.filter((i) => i.startsWith('node:') || /^(crypto|fs|dgram|net|dns|http|https)$/.test(i)),
    ).toEqual([])
  })
})
