// The published builds: every package must load on the machine's own Node (20.19+ is supported;
// the tests themselves run on Node 24) and bundle for browsers without pulling in node:* modules.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
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
// Each package is imported by its own name from its own folder (a package may import itself by name),
// so nothing has to list it as a dependency.
const consumer = (name: string): string => join(root, 'packages', name)
const hostVersion = spawnSync(hostNode, ['--version'], { encoding: 'utf8' }).stdout.trim().slice(1)
const engines = (name: string): string =>
  (
    JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as {
      engines?: { node?: string }
    }
  ).engines?.node ?? ''
/** Whether `version` meets an `engines.node` of the form `>=X.Y`. */
function meets(version: string, range: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  const m = /^>=\s*(\d+)(?:\.(\d+))?/.exec(range)
  if (!m) return true
  const [needMajor, needMinor] = [Number(m[1]), Number(m[2] ?? 0)]
  return major > needMajor || (major === needMajor && minor >= needMinor)
}
// Node-only by design: the CLI, and the services built on node:sqlite (engines >=22.13).
const NODE_ONLY = new Set(['cli', 'mirror', 'labeler'])

describe.runIf(run)('built packages', () => {
  it.each(packages.filter((p) => meets(hostVersion, engines(p))))(
    '@rsky/%s loads on the machine Node',
    (name) => {
      // Without the "source" condition Node resolves the workspace links to dist/, as an installed copy.
      const script = `const m = await import('@rsky/${name}'); if (Object.keys(m).length === 0) throw new Error('no exports'); console.log(process.version)`
      const r = spawnSync(hostNode, ['--input-type=module', '-e', script], {
        cwd: consumer(name),
        encoding: 'utf8',
      })
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
    },
  )

  const browserPackages = packages.filter((p) => !NODE_ONLY.has(p))
  it.each(browserPackages)('@rsky/%s bundles for browsers with no node: imports', async (name) => {
    const result = await build({
      stdin: {
        contents: `export * from '@rsky/${name}'`,
        resolveDir: consumer(name),
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
