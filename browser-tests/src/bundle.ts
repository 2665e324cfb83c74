// Bundles a browser entry the way an app would: esbuild for the browser platform, ESM, with the
// workspace's `source` condition (src/) and `browser` condition (no node:* anywhere).
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = dirname(fileURLToPath(import.meta.url))

/** The bundled JavaScript of `entries/<name>.ts`. */
export async function bundleEntry(name: string): Promise<string> {
  const out = await build({
    entryPoints: [join(here, 'entries', `${name}.ts`)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source', 'browser'],
    write: false,
    logLevel: 'silent',
    sourcemap: 'inline',
  })
  const file = out.outputFiles[0]
  if (!file) throw new Error(`esbuild produced no output for ${name}`)
  return file.text
}
