// pnpm --filter @rsky/benchmarks size [--no-doc]
// What a browser app ships for one job: each job's entry is bundled by esbuild for the browser
// (minified, tree-shaken, ESM), once with @rsky/* and once with @atcute/* doing the same work, and
// the gzipped size of each bundle is compared. Results go to results/size.json and docs/benchmarks.md.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { machineInfo, packageVersions, type SuiteReport, sizeMarkdown, writeBenchmarksDoc } from './report.ts'

const here = dirname(fileURLToPath(import.meta.url))

/** One job: the same work written against each implementation. */
export interface SizeJob {
  name: string
  ours: string
  atcute: string
}

export const sizeJobs: SizeJob[] = [
  {
    name: 'CBOR encode + decode + CID',
    ours: `import { encode, decode, cidForCbor } from '@rsky/dag-cbor'
      const b = encode({ a: 1 }); export const r = [decode(b), cidForCbor(b)]`,
    atcute: `import { encode, decode } from '@atcute/cbor'; import { create } from '@atcute/cid'
      const b = encode({ a: 1 }); export const r = [decode(b), create(0x71, b)]`,
  },
  {
    name: 'read CAR blocks (hash-checked)',
    ours: `import { iterateCar } from '@rsky/car'
      export function f(bytes) { let n = 0; for (const b of iterateCar(bytes)) n += b.bytes.length; return n }`,
    atcute: `import { fromUint8Array } from '@atcute/car'
      export function f(bytes) { let n = 0; for (const b of fromUint8Array(bytes)) n += b.bytes.length; return n }`,
  },
  {
    name: 'read repository records',
    // Both read bytes already in memory, synchronously (iterateRepoRecords is readRepoRecords
    // without the stream input, as fromUint8Array is for @atcute).
    ours: `import { iterateRepoRecords } from '@rsky/repo/read'
      export function f(bytes) { return [...iterateRepoRecords(bytes)] }`,
    atcute: `import { fromUint8Array } from '@atcute/repo'
      export function f(bytes) { return [...fromUint8Array(bytes)] }`,
  },
  {
    name: 'sign + verify, both curves',
    ours: `import { Secp256k1Keypair, P256Keypair, verifySignature } from '@rsky/crypto'
      export async function f(d) { for (const K of [Secp256k1Keypair, P256Keypair]) { const k = K.create(); const s = await k.sign(d); if (!verifySignature(k.did(), d, s)) throw 0 } }`,
    atcute: `import { Secp256k1PrivateKeyExportable, P256PrivateKeyExportable, verifySigWithDidKey } from '@atcute/crypto'
      export async function f(d) { for (const K of [Secp256k1PrivateKeyExportable, P256PrivateKeyExportable]) { const k = await K.createKeypair(); const s = await k.sign(d); if (!(await verifySigWithDidKey(await k.exportPublicKey('did'), s, d))) throw 0 } }`,
  },
  {
    name: 'seven syntax checks',
    ours: `import { isValidDid, isValidHandle, isValidNsid, isValidRecordKey, isValidTid, isValidDatetime, isValidAtUri } from '@rsky/syntax'
      export const f = (s) => [isValidDid, isValidHandle, isValidNsid, isValidRecordKey, isValidTid, isValidDatetime, isValidAtUri].map((g) => g(s))`,
    atcute: `import { isDid, isHandle, isNsid, isRecordKey, isTid, isDatetime, isResourceUri } from '@atcute/lexicons/syntax'
      export const f = (s) => [isDid, isHandle, isNsid, isRecordKey, isTid, isDatetime, isResourceUri].map((g) => g(s))`,
  },
  {
    name: 'MST: load, list, diff',
    ours: `import { MST, MemoryBlockstore, mstDiff } from '@rsky/mst'
      export async function f(blocks, a, b) { const s = new MemoryBlockstore(blocks); const x = MST.load(s, a); return [await x.list(), await mstDiff(x, MST.load(s, b))] }`,
    atcute: `import { NodeStore, MemoryBlockStore, NodeWalker, mstDiff, recordDiff } from '@atcute/mst'
      export async function f(blocks, a, b) { const s = new NodeStore(new MemoryBlockStore(blocks)); const out = []; const walker = await NodeWalker.create(s, a); while (!walker.done) { out.push(walker.frame); await walker.next() } const [c, d] = await mstDiff(s, a, b); return [out, await Array.fromAsync(recordDiff(s, c, d))] }`,
  },
]

export interface SizeResult {
  job: string
  ours: number
  atcute: number
  ratio: number
  error?: string
}

async function bundledSize(contents: string): Promise<number> {
  const out = await build({
    stdin: { contents, resolveDir: join(here, '..'), loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // The workspace's `source` condition bundles src/ (what the published dist/ is built from).
    conditions: ['source', 'browser'],
    write: false,
    logLevel: 'silent',
  })
  const file = out.outputFiles[0]
  if (!file) throw new Error('esbuild produced no output')
  return gzipSync(file.contents, { level: 9 }).length
}

export async function measureSizes(jobs: SizeJob[] = sizeJobs): Promise<SizeResult[]> {
  const results: SizeResult[] = []
  for (const job of jobs) {
    try {
      const [ours, atcute] = [await bundledSize(job.ours), await bundledSize(job.atcute)]
      results.push({ job: job.name, ours, atcute, ratio: ours / atcute })
    } catch (err) {
      results.push({
        job: job.name,
        ours: 0,
        atcute: 0,
        ratio: 0,
        error: String((err as { errors?: { text: string }[] }).errors?.[0]?.text ?? err),
      })
    }
  }
  return results
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = await measureSizes()
  console.log(sizeMarkdown(sizes))
  const report: SuiteReport = {
    suite: 'size',
    description:
      'What a browser app ships for one job: the job written against each implementation, bundled by esbuild for the browser (minified, tree-shaken ESM) and gzipped (level 9). Ours still does its checks (hash-checked CAR blocks, low-S signatures, strict DAG-CBOR). Run with `pnpm --filter @rsky/benchmarks size` (`--no-doc` leaves docs/benchmarks.md alone).',
    date: new Date().toISOString().slice(0, 10),
    machine: machineInfo(),
    versions: packageVersions([
      'esbuild',
      '@atcute/cbor',
      '@atcute/cid',
      '@atcute/car',
      '@atcute/repo',
      '@atcute/crypto',
      '@atcute/lexicons',
      '@atcute/mst',
    ]),
    cases: [],
    sizes,
  }
  // --no-doc prints only: results/size.json and docs/benchmarks.md are tracked files.
  if (!process.argv.includes('--no-doc')) {
    mkdirSync(join(here, '..', 'results'), { recursive: true })
    writeFileSync(join(here, '..', 'results', 'size.json'), `${JSON.stringify(report, null, 2)}\n`)
    console.log(`wrote ${writeBenchmarksDoc()}`)
  }
}
