import { createReadStream, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readCarStream } from '@rsky/car'
import { parseDidKey } from '@rsky/crypto'
import { type Cid, lexToJson } from '@rsky/dag-cbor'
import { type MstDiff, mstDiff } from '@rsky/mst'
import {
  asRepoError,
  decodeCommit,
  loadRepoCar,
  RepoError,
  readRecordBlock,
  verifyCommitSignature,
  verifyRepoCar,
} from '@rsky/repo'
import { isValidDid, isValidNsid, isValidRecordKey } from '@rsky/syntax'
import type { Command } from '../command.ts'
import {
  describeError,
  EXIT_OK,
  InputFileError,
  RecordNotFoundError,
  ReportedFailure,
  UsageError,
} from '../errors.ts'
import { keyValueLines } from '../output.ts'
import { openCarFile } from './input.ts'
import { NET_OPTIONS } from './net.ts'
import { exportRemote, isAccountRef } from './remote.ts'

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** What `repo verify` reports about the repository; the same fields on success and failure. */
interface VerifyReport {
  file: string | null
  did: string | null
  rev: string | null
  commit: string | null
  data: string | null
  version: number | null
  /** 'valid' or 'invalid' with --key; 'unchecked' without it or when the commit could not be read. */
  signature: 'valid' | 'invalid' | 'unchecked'
  records: number | null
  collections: Record<string, number> | null
  blocks: number | null
  ms: number
}

/**
 * After a failed verification: what can still be learned from the file, read again (every block
 * hash-checked) only as far as the commit. The CAR header names the commit; the commit block gives
 * the DID, rev and data CID, and with `key` whether the signature is valid. Stops at the first
 * problem and never throws.
 */
async function learnCommit(path: string, key: string | undefined, report: VerifyReport): Promise<void> {
  try {
    const car = readCarStream(createReadStream(path, { highWaterMark: 1 << 20 }))
    const root = (await car.header).roots[0]
    if (root === undefined) return
    report.commit = root.toString()
    for await (const { cid, bytes } of car) {
      if (!cid.equals(root)) continue
      const commit = decodeCommit(bytes, root)
      report.did = commit.did
      report.rev = commit.rev ?? null
      report.data = commit.data.toString()
      report.version = commit.version
      if (key !== undefined) report.signature = verifyCommitSignature(commit, key) ? 'valid' : 'invalid'
      return
    }
  } catch {
    // The failure itself is already reported; this pass only adds what it could read.
  }
}

const emptyReport = (): VerifyReport => ({
  file: null,
  did: null,
  rev: null,
  commit: null,
  data: null,
  version: null,
  signature: 'unchecked',
  records: null,
  collections: null,
  blocks: null,
  ms: 0,
})

const verify: Command = {
  path: ['repo', 'verify'],
  failureFields: () => ({ ...emptyReport() }),
  usage: 'FILE.car [--did DID] [--key DIDKEY] [--json]',
  summary:
    'full verification: every block hash, commit, signature (with --key), tree structure, every record',
  arity: [1, 1],
  options: { did: { type: 'string' }, key: { type: 'string' } },
  async run({ positionals, values, out, streams }) {
    const did = str(values['did'])
    const key = str(values['key'])
    const start = performance.now()
    const report = emptyReport()
    let r: Awaited<ReturnType<typeof verifyRepoCar>>
    let path: string | undefined
    try {
      // A malformed --did or --key is a mistake in the call (exit 2), not a bad repository.
      if (did !== undefined && !isValidDid(did)) throw new UsageError(`--did is not a DID: ${did}`)
      if (key !== undefined) {
        try {
          parseDidKey(key)
        } catch (err) {
          throw new UsageError(`--key is not a did:key: ${describeError(err)}`)
        }
      }
      const file = openCarFile(positionals[0]!, streams.stderr)
      path = file.path
      report.file = file.path
      r = await verifyRepoCar(file.chunks(), { ...(did ? { did } : {}), ...(key ? { key } : {}) })
    } catch (err) {
      if (out.json && path !== undefined && path !== '-') await learnCommit(path, key, report)
      report.ms = Math.round(performance.now() - start)
      throw new ReportedFailure(err, { ...report })
    }
    const ms = performance.now() - start
    out.result({
      valid: true,
      file: report.file,
      did: r.did,
      rev: r.rev,
      commit: r.commit.toString(),
      data: r.data.toString(),
      version: r.version,
      signature: r.signature,
      records: r.records,
      collections: r.collections,
      blocks: r.blocks,
      ms: Math.round(ms),
    })
    const width = Math.max(0, ...Object.keys(r.collections).map((c) => c.length))
    for (const line of keyValueLines([
      ['file', report.file ?? ''],
      ['did', r.did],
      ['rev', r.rev],
      ['commit', `${r.commit.toString()} (v${r.version})`],
      ['data', r.data.toString()],
      [
        'signature',
        r.signature === 'valid' ? `valid (${key})` : 'not checked (give --key DIDKEY to check it)',
      ],
      ['records', `${r.records} in ${Object.keys(r.collections).length} collections`],
    ]))
      out.line(line)
    for (const [c, n] of Object.entries(r.collections)) out.line(`  ${c.padEnd(width)}  ${n}`)
    out.line(`verified in ${ms.toFixed(0)} ms: every block hash, the commit, the tree and every record`)
    return EXIT_OK
  },
}

const ls: Command = {
  path: ['repo', 'ls'],
  usage: 'FILE.car [COLLECTION] [--json]',
  summary: 'list records (collection/rkey and CID), optionally of one collection',
  lines: true,
  arity: [1, 2],
  async run({ positionals, out, streams }) {
    const collection = positionals[1]
    if (collection !== undefined && !isValidNsid(collection))
      throw new UsageError(`not a collection NSID: ${collection}`)
    const loaded = await loadRepoCar(openCarFile(positionals[0]!, streams.stderr).chunks())
    const rows: Array<{ path: string; cid: string }> = []
    try {
      const from = collection === undefined ? undefined : `${collection}/`
      for await (const leaf of loaded.tree.walkLeaves(from)) {
        if (from !== undefined && !leaf.key.startsWith(from)) break
        rows.push({ path: leaf.key, cid: leaf.value.toString() })
      }
    } catch (err) {
      throw asRepoError(err)
    }
    // Printed only once the whole walk succeeded: a listing on stdout is never a partial one.
    for (const r of rows) {
      out.item(r)
      out.line(`${r.path}  ${r.cid}`)
    }
    return EXIT_OK
  },
}

const get: Command = {
  path: ['repo', 'get'],
  usage: 'FILE.car COLLECTION/RKEY',
  summary: 'print one record in its JSON form',
  arity: [2, 2],
  async run({ positionals, streams }) {
    const path = positionals[1]!
    const slash = path.indexOf('/')
    if (slash < 0 || !isValidNsid(path.slice(0, slash)) || !isValidRecordKey(path.slice(slash + 1))) {
      throw new UsageError(`not a COLLECTION/RKEY path: ${path}`)
    }
    const loaded = await loadRepoCar(openCarFile(positionals[0]!, streams.stderr).chunks())
    let cid: Cid | null
    try {
      cid = await loaded.tree.get(path)
    } catch (err) {
      throw asRepoError(err)
    }
    if (!cid) throw new RecordNotFoundError(path)
    const json = lexToJson(readRecordBlock(loaded.blocks, path, cid))
    streams.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
    return EXIT_OK
  },
}

/** @throws UsageError (`io`) unless `dir` is a folder or can be created as one */
function ensureOutputDir(dir: string): void {
  let isDir = false
  try {
    isDir = statSync(dir).isDirectory()
  } catch {
    // Absent: created below.
  }
  if (isDir) return
  try {
    mkdirSync(dir, { recursive: true })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err)
    const what = code === 'EEXIST' ? 'exists and is not a folder' : `cannot be created (${code})`
    throw new UsageError(`output folder ${dir} ${what}`, { io: true, cause: err })
  }
}

const exportCmd: Command = {
  path: ['repo', 'export'],
  usage: 'FILE.car DIR | DID|HANDLE OUT.car [--plc URL] [--pds URL] [--timeout SECONDS]',
  summary:
    'FILE.car: write every record as DIR/<collection>/<rkey>.json; DID or HANDLE: download the repository into OUT.car, verified as it streams',
  options: { ...NET_OPTIONS },
  arity: [2, 2],
  async run(input) {
    const { positionals, out, streams } = input
    if (isAccountRef(positionals[0]!)) return exportRemote(input)
    const dir = positionals[1]!
    const file = openCarFile(positionals[0]!, streams.stderr)
    ensureOutputDir(dir)
    const loaded = await loadRepoCar(file.chunks())
    let written = 0
    const folders = new Set<string>()
    try {
      for await (const leaf of loaded.tree.walkLeaves()) {
        const slash = leaf.key.indexOf('/')
        const collection = leaf.key.slice(0, slash)
        const rkey = leaf.key.slice(slash + 1)
        // The tree checks its keys, but the key becomes a file path: never let one leave DIR.
        if (!isValidNsid(collection) || !isValidRecordKey(rkey)) {
          throw new RepoError('BAD_TREE', `record key is not COLLECTION/RKEY; key=${leaf.key}`)
        }
        // Record keys may hold ':' and '~'; both are safe in file names on the platforms we support.
        const folder = join(dir, collection)
        const value = lexToJson(readRecordBlock(loaded.blocks, leaf.key, leaf.value))
        // A file-system error (disk full, permissions) is exit 2, like an unusable DIR.
        if (!folders.has(folder)) {
          mkdirSync(folder, { recursive: true })
          folders.add(folder)
        }
        writeFileSync(join(folder, `${rkey}.json`), `${JSON.stringify(value, null, 2)}\n`)
        written++
      }
    } catch (err) {
      throw asRepoError(err)
    }
    out.result({ valid: true, records: written, dir })
    out.line(`wrote ${written} records to ${dir}`)
    return EXIT_OK
  },
}

const diff: Command = {
  path: ['repo', 'diff'],
  usage: 'A.car B.car [--json]',
  summary: 'record operations and tree node changes from repository A to repository B',
  arity: [2, 2],
  async run({ positionals, out, streams }) {
    // With two inputs, an error names the file it came from.
    const load = async (path: string) => {
      const file = openCarFile(path, streams.stderr)
      try {
        return await loadRepoCar(file.chunks())
      } catch (err) {
        throw new InputFileError(path, err)
      }
    }
    const a = await load(positionals[0]!)
    const b = await load(positionals[1]!)
    let d: MstDiff
    try {
      d = await mstDiff(a.tree, b.tree)
    } catch (err) {
      throw asRepoError(err)
    }
    const ops = d.ops.map((op) => ({
      action: op.action,
      path: op.key,
      cid: op.cid?.toString() ?? null,
      prev: op.prev?.toString() ?? null,
    }))
    const counts = { create: 0, update: 0, delete: 0 }
    for (const op of d.ops) counts[op.action]++
    out.result({
      valid: true,
      ops,
      createdNodes: d.createdNodes.length,
      deletedNodes: d.deletedNodes.length,
      counts,
    })
    for (const op of ops) out.line(`${op.action.padEnd(6)}  ${op.path}  ${op.cid ?? op.prev}`)
    out.line(
      `${counts.create} created, ${counts.update} updated, ${counts.delete} deleted records; ` +
        `${d.createdNodes.length} tree nodes added, ${d.deletedNodes.length} removed`,
    )
    return EXIT_OK
  },
}

export const repoCommands: Command[] = [verify, ls, get, exportCmd, diff]
