// Publish dry run: packs every @rsky/* package the way `pnpm publish` would (through the
// beforePacking hook in .pnpmfile.cjs), checks each packed manifest, installs the tarballs into a
// clean project outside the repository, then imports every export path and runs the installed
// `rsky` binary on the machine's Node and on the pinned Node. Nothing is published.
//
//   node scripts/release-check.ts            (needs `pnpm build` first; exit 1 on any problem)
//   RSKY_HOST_NODE=/usr/bin/node node scripts/release-check.ts
//
// The test suite runs it once (test-vectors/src/release.test.ts) when the packages are built.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** One finding of the check: what is wrong, in which package. */
export interface ReleaseProblem {
  package: string
  problem: string
}

/** What the dry run did and found. */
export interface ReleaseReport {
  packages: string[]
  /** `node version -> import specifiers that loaded` */
  imported: Record<string, string[]>
  /** `node version -> specifier -> reason` for imports not attempted (engines). */
  skipped: Record<string, Record<string, string>>
  rskyVersion: Record<string, string>
  problems: ReleaseProblem[]
}

interface Manifest {
  name: string
  version: string
  engines?: { node?: string }
  exports?: Record<string, unknown>
  imports?: Record<string, unknown>
  files?: string[]
  bin?: Record<string, string>
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  repository?: unknown
  homepage?: string
  bugs?: unknown
}

function run(cmd: string, args: string[], cwd: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

/** Every string target and condition key of a conditional exports/imports value. */
function walkConditions(value: unknown, visit: (key: string | null, target: string) => void): void {
  if (typeof value === 'string') visit(null, value)
  else if (value && typeof value === 'object')
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'source') visit(key, '')
      walkConditions(inner, visit)
    }
}

/** The workspace packages that get published (every packages/* with a package.json). */
export function publishedPackages(): { dir: string; manifest: Manifest }[] {
  return readdirSync(join(root, 'packages'))
    .filter((d) => existsSync(join(root, 'packages', d, 'package.json')))
    .sort()
    .map((d) => ({
      dir: join(root, 'packages', d),
      manifest: JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')) as Manifest,
    }))
}

/** Problems in one packed manifest and its file list (paths relative to the package root). */
export function checkPackedManifest(manifest: Manifest, files: Set<string>): string[] {
  const out: string[] = []
  const need = (path: string, why: string): void => {
    const rel = path.replace(/^\.\//, '')
    if (!files.has(rel)) out.push(`${why} points at a file not in the tarball; path=${path}`)
  }
  for (const field of ['exports', 'imports'] as const) {
    walkConditions(manifest[field], (key, target) => {
      if (key === 'source') out.push(`published ${field} keeps the workspace-only source condition`)
      else need(target, field)
    })
  }
  for (const [name, target] of Object.entries(manifest.bin ?? {})) need(target, `bin ${name}`)
  for (const licence of ['LICENSE-MIT', 'LICENSE-APACHE'])
    if (!files.has(licence)) out.push(`licence text missing; file=${licence}`)
  if (!files.has('README.md')) out.push('README.md missing')
  for (const field of ['repository', 'homepage', 'bugs'] as const)
    if (!manifest[field]) out.push(`package.json has no ${field}`)
  for (const [dep, range] of Object.entries(manifest.dependencies ?? {}))
    if (range.startsWith('workspace:')) out.push(`dependency left as a workspace range; dep=${dep}`)
  for (const file of files)
    if (/(^|\/)(src|test)\//.test(file) || /\.test\.[cm]?[jt]s$/.test(file))
      out.push(`source or test file shipped; file=${file}`)
  return out
}

function tarList(tgz: string): Set<string> {
  const r = run('tar', ['tzf', tgz], root)
  return new Set(
    r.stdout
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, '')),
  )
}

function tarManifest(tgz: string): Manifest {
  const r = run('tar', ['xzf', tgz, '-O', 'package/package.json'], root)
  return JSON.parse(r.stdout) as Manifest
}

/** The smallest Node major.minor an `engines.node` of the form `>=X.Y` asks for. */
function minimumNode(range: string | undefined): [number, number] {
  const m = /^>=\s*(\d+)(?:\.(\d+))?/.exec(range ?? '')
  return m ? [Number(m[1]), Number(m[2] ?? 0)] : [0, 0]
}

function nodeVersion(node: string): string {
  return run(node, ['--version'], root).stdout.trim()
}

function satisfies(version: string, range: string | undefined): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number)
  const [needMajor, needMinor] = minimumNode(range)
  return major > needMajor || (major === needMajor && minor >= needMinor)
}

/**
 * Packs, checks, installs and imports. `nodes` are the Node executables to import with (default:
 * this process's Node and $RSKY_HOST_NODE). The temporary folder is removed unless `keep`.
 */
export function releaseCheck(
  options: { nodes?: string[]; keep?: boolean; log?: (line: string) => void } = {},
): ReleaseReport {
  const log = options.log ?? (() => {})
  const nodes = [
    ...new Set(options.nodes ?? [process.execPath, process.env['RSKY_HOST_NODE'] ?? process.execPath]),
  ]
  const report: ReleaseReport = { packages: [], imported: {}, skipped: {}, rskyVersion: {}, problems: [] }
  const work = mkdtempSync(join(tmpdir(), 'rsky-release-check-'))
  try {
    const packages = publishedPackages()
    for (const { dir, manifest } of packages)
      if (!existsSync(join(dir, 'dist')))
        report.problems.push({ package: manifest.name, problem: 'not built (run pnpm build first)' })
    if (report.problems.length > 0) return report

    // 1. Pack every package as `pnpm publish` would.
    const tarballs = join(work, 'tarballs')
    mkdirSync(tarballs)
    const packed = run(
      'pnpm',
      ['-r', '--filter', './packages/*', 'pack', '--pack-destination', tarballs],
      root,
    )
    if (packed.status !== 0) {
      report.problems.push({ package: '*', problem: `pnpm pack failed: ${packed.stderr.trim().slice(-400)}` })
      return report
    }
    const byName = new Map<string, { tgz: string; manifest: Manifest }>()
    for (const file of readdirSync(tarballs).filter((f) => f.endsWith('.tgz'))) {
      const tgz = join(tarballs, file)
      const manifest = tarManifest(tgz)
      byName.set(manifest.name, { tgz, manifest })
      for (const problem of checkPackedManifest(manifest, tarList(tgz)))
        report.problems.push({ package: manifest.name, problem })
    }
    for (const { manifest } of packages)
      if (!byName.has(manifest.name)) report.problems.push({ package: manifest.name, problem: 'not packed' })
    report.packages = [...byName.keys()].sort()
    log(`packed ${byName.size} packages`)

    // 2. Install the tarballs into a clean project outside the repository. Overrides make the
    // packages' dependencies on each other resolve to the tarballs, not to the registry.
    const project = join(work, 'project')
    mkdirSync(project)
    const tarballSpecs = Object.fromEntries([...byName].map(([name, { tgz }]) => [name, `file:${tgz}`]))
    writeFileSync(
      join(project, 'package.json'),
      `${JSON.stringify(
        {
          name: 'rsky-release-check',
          private: true,
          type: 'module',
          dependencies: tarballSpecs,
          pnpm: { overrides: tarballSpecs },
        },
        null,
        2,
      )}\n`,
    )
    const installed = run(
      'pnpm',
      ['install', '--prefer-offline', '--ignore-workspace', '--config.confirmModulesPurge=false'],
      project,
    )
    if (installed.status !== 0) {
      report.problems.push({
        package: '*',
        problem: `install of the tarballs failed: ${(installed.stderr || installed.stdout).trim().slice(-600)}`,
      })
      return report
    }
    log('installed the tarballs into a clean project')

    // 3. Every export path on every Node, and the rsky binary.
    const specifiers: { spec: string; engines: string | undefined }[] = []
    for (const [name, { manifest }] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
      for (const key of Object.keys(manifest.exports ?? { '.': '' })) {
        if (key.endsWith('package.json') || key.includes('*')) continue
        specifiers.push({
          spec: key === '.' ? name : `${name}/${key.slice(2)}`,
          engines: manifest.engines?.node,
        })
      }
    }
    const probe = join(project, 'probe.mjs')
    writeFileSync(
      probe,
      [
        'const specs = JSON.parse(process.argv[2])',
        'const out = {}',
        'for (const s of specs) {',
        '  try { const m = await import(s); out[s] = Object.keys(m).length > 0 ? "ok" : "no exports" }',
        '  catch (e) { out[s] = String(e && e.message || e).split("\\n")[0] }',
        '}',
        'console.log(JSON.stringify(out))',
        '',
      ].join('\n'),
    )
    // A subpath that needs an optional peer the consumer did not install (a test helper needing
    // vitest) is skipped, not a failure; a missing package that is not declared is a failure.
    const missingOptionalPeer = (spec: string, outcome: string): string | null => {
      const missing = /Cannot find package '([^']+)'/.exec(outcome)?.[1]
      const owner = [...byName.values()].find(
        (p) => spec === p.manifest.name || spec.startsWith(`${p.manifest.name}/`),
      )
      if (!missing || !owner) return null
      const optional = owner.manifest.peerDependenciesMeta?.[missing]?.optional === true
      return optional && owner.manifest.peerDependencies?.[missing] ? missing : null
    }
    const cliVersion = byName.get('@rsky/cli')?.manifest.version
    for (const node of nodes) {
      const version = nodeVersion(node)
      const runs: [string, string[]][] = [[version, []]]
      // What the issue reported: a consumer resolving with the `source` condition loads nothing.
      if (satisfies(version, '>=22')) runs.push([`${version} --conditions=source`, ['--conditions=source']])
      for (const [label, flags] of runs) {
        const wanted = specifiers.filter((s) => satisfies(version, s.engines))
        report.skipped[label] = Object.fromEntries(
          specifiers
            .filter((s) => !satisfies(version, s.engines))
            .map((s) => [s.spec, `engines.node ${s.engines}`]),
        )
        const r = run(node, [...flags, probe, JSON.stringify(wanted.map((s) => s.spec))], project)
        let results: Record<string, string> = {}
        try {
          results = JSON.parse(r.stdout) as Record<string, string>
        } catch {
          report.problems.push({
            package: '*',
            problem: `import probe crashed on ${label}: ${r.stderr.trim()}`,
          })
        }
        report.imported[label] = []
        for (const [spec, outcome] of Object.entries(results)) {
          const peer = missingOptionalPeer(spec, outcome)
          if (outcome === 'ok') report.imported[label].push(spec)
          else if (peer) report.skipped[label][spec] = `needs the optional peer ${peer}`
          else report.problems.push({ package: spec, problem: `import failed on node ${label}: ${outcome}` })
        }
      }
      // The installed `rsky` command itself (the package manager's bin link), with this Node first
      // on PATH so its `#!/usr/bin/env node` line picks it.
      const shim = join(project, 'node_modules', '.bin', 'rsky')
      const rsky = existsSync(shim)
        ? (() => {
            const r = spawnSync(shim, ['--version'], {
              cwd: project,
              encoding: 'utf8',
              env: { ...process.env, PATH: `${dirname(node)}:${process.env['PATH'] ?? ''}` },
            })
            return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
          })()
        : { status: 1, stdout: '', stderr: 'no rsky binary installed' }
      report.rskyVersion[version] = rsky.stdout.trim()
      if (rsky.status !== 0 || rsky.stdout.trim() !== cliVersion)
        report.problems.push({
          package: '@rsky/cli',
          problem: `rsky --version on node ${version} printed ${JSON.stringify(rsky.stdout.trim())} (exit ${rsky.status}; ${rsky.stderr.trim().slice(0, 200)}); expected ${cliVersion}`,
        })
      log(
        `node ${version}: ${report.imported[version]?.length ?? 0} export paths load, rsky ${rsky.stdout.trim()}`,
      )
    }
    return report
  } finally {
    if (!options.keep) rmSync(work, { recursive: true, force: true })
    else log(`kept ${work}`)
  }
}

/**
 * `changeset version` on a clone of the committed tree (the working tree is never touched): which
 * packages get which version, and whether each got a CHANGELOG.md. Empty when nothing is pending.
 */
export function changesetVersionDryRun(): { name: string; from: string; to: string; changelog: boolean }[] {
  const work = mkdtempSync(join(tmpdir(), 'rsky-changeset-'))
  try {
    const clone = join(work, 'repo')
    const cloned = run('git', ['clone', '--quiet', '--depth', '1', `file://${root}`, clone], root)
    if (cloned.status !== 0) throw new Error(`git clone failed: ${cloned.stderr.trim()}`)
    const before = new Map(
      readdirSync(join(clone, 'packages'))
        .filter((d) => existsSync(join(clone, 'packages', d, 'package.json')))
        .map((d) => [
          d,
          JSON.parse(readFileSync(join(clone, 'packages', d, 'package.json'), 'utf8')) as Manifest,
        ]),
    )
    const bin = join(root, 'node_modules', '.bin', 'changeset')
    const v = run(bin, ['version'], clone)
    if (v.status !== 0)
      throw new Error(`changeset version failed: ${(v.stderr || v.stdout).trim().slice(-400)}`)
    const out: { name: string; from: string; to: string; changelog: boolean }[] = []
    for (const [dir, manifest] of before) {
      const after = JSON.parse(readFileSync(join(clone, 'packages', dir, 'package.json'), 'utf8')) as Manifest
      if (after.version === manifest.version) continue
      out.push({
        name: manifest.name,
        from: manifest.version,
        to: after.version,
        changelog: existsSync(join(clone, 'packages', dir, 'CHANGELOG.md')),
      })
    }
    return out
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const report = releaseCheck({ keep: process.argv.includes('--keep'), log: (l) => console.log(l) })
  for (const [label, skipped] of Object.entries(report.skipped))
    for (const [spec, why] of Object.entries(skipped))
      console.log(`skipped on node ${label}: ${spec} (${why})`)
  for (const p of report.problems) console.log(`problem: ${p.package}: ${p.problem}`)
  console.log(report.problems.length === 0 ? 'release check passed' : `${report.problems.length} problems`)
  process.exit(report.problems.length === 0 ? 0 : 1)
}
