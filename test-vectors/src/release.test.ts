// The publish dry run (scripts/release-check.ts): every package packed as `pnpm publish` would,
// installed from the tarballs into a clean project outside the repository, every export path
// imported on the pinned Node and on the machine's Node, and the installed `rsky --version`.
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { changesetVersionDryRun, checkPackedManifest, releaseCheck } from '../../scripts/release-check.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const packages = readdirSync(join(root, 'packages')).filter((p) =>
  existsSync(join(root, 'packages', p, 'package.json')),
)
// In CI the build runs first; locally, `pnpm build` to run the dry run.
const built = packages.every((p) => existsSync(join(root, 'packages', p, 'dist')))
const run = built || process.env['CI'] === 'true'

const good = {
  name: '@rsky/x',
  version: '1.0.0',
  exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
  repository: { type: 'git', url: 'git+https://example.invalid/x.git' },
  homepage: 'https://example.invalid/x',
  bugs: { url: 'https://example.invalid/x/issues' },
  dependencies: { '@noble/hashes': '^2.0.0' },
}
const goodFiles = [
  'package.json',
  'README.md',
  'LICENSE-MIT',
  'LICENSE-APACHE',
  'dist/index.js',
  'dist/index.d.ts',
]

describe('checkPackedManifest', () => {
  it('accepts a clean manifest', () => {
    expect(checkPackedManifest(good, new Set(goodFiles))).toEqual([])
  })
  it.each([
    [
      'a source condition',
      { ...good, exports: { '.': { source: './src/index.ts', default: './dist/index.js' } } },
      goodFiles,
      /source condition/,
    ],
    [
      'a source condition in imports',
      { ...good, imports: { '#x': { source: { node: './src/x.ts' }, default: './dist/index.js' } } },
      goodFiles,
      /imports keeps/,
    ],
    ['a target not shipped', good, goodFiles.filter((f) => f !== 'dist/index.js'), /not in the tarball/],
    ['no licence text', good, goodFiles.filter((f) => f !== 'LICENSE-APACHE'), /LICENSE-APACHE/],
    ['no repository', { ...good, repository: undefined }, goodFiles, /no repository/],
    ['a workspace range', { ...good, dependencies: { '@rsky/y': 'workspace:^' } }, goodFiles, /workspace/],
    ['a test file shipped', good, [...goodFiles, 'dist/a.test.js'], /test file/],
    ['a bin not shipped', { ...good, bin: { x: './dist/bin.js' } }, goodFiles, /bin x/],
  ])('flags %s', (_name, manifest, files, problem) => {
    const problems = checkPackedManifest(manifest, new Set(files))
    expect(problems.some((p) => problem.test(p))).toBe(true)
  })
})

// Known publish problems owned by another package, each with why; remove an entry once fixed.
const KNOWN: Record<string, string> = {}

describe.runIf(run)('publish dry run', () => {
  it('packs, installs into a clean project, imports every export path on both Nodes, runs rsky', () => {
    const report = releaseCheck()
    const unexpected = report.problems.filter((p) => !(p.package in KNOWN))
    expect(unexpected.map((p) => `${p.package}: ${p.problem}`)).toEqual([])
    expect(report.packages).toHaveLength(packages.length)
    for (const imported of Object.values(report.imported)) expect(imported.length).toBeGreaterThan(0)
    for (const version of Object.values(report.rskyVersion)) expect(version).toMatch(/^\d+\.\d+\.\d+/)
  })
})

describe('changeset version', () => {
  it('turns the pending changesets into real versions and changelogs (on a clone of the committed tree)', () => {
    const pending = readdirSync(join(root, '.changeset')).filter(
      (f) => f.endsWith('.md') && f !== 'README.md',
    )
    const bumped = changesetVersionDryRun()
    if (pending.length === 0) return expect(bumped).toEqual([])
    expect(bumped.length).toBeGreaterThan(0)
    for (const b of bumped) {
      expect(b.to, b.name).toMatch(/^\d+\.\d+\.\d+$/)
      expect(b.to, b.name).not.toBe('0.0.0')
      expect(b.changelog, b.name).toBe(true)
    }
  })
})
