import { readFileSync } from 'node:fs'
import { BlockMap, type CarContents, readCar } from '@rsky/car'
import { type Cid, parseCid } from '@rsky/dag-cbor'
import { interopPath, listInteropFiles, readInteropJson, recordInteropCount } from '@rsky/test-vectors'
import { describe, expect, it } from 'vitest'
import {
  getInversionProof,
  getKeyProofs,
  MemoryBlockstore,
  MST,
  mstDiff,
  type RecordOp,
  verifyOpsByInversion,
} from '../src/index.ts'

interface DiffCase {
  $type: string
  inputs: { mst_a: string; mst_b: string }
  results: {
    created_nodes: string[]
    deleted_nodes: string[]
    record_ops: { rpath: string; old_value: string | null; new_value: string | null }[]
    proof_nodes: string[]
    inductive_proof_nodes: string[]
    firehose_cids: string[] | string
  }
}

const cars = new Map<string, { car: CarContents; root: Cid; store: MemoryBlockstore }>()
function loadCar(path: string): { car: CarContents; root: Cid; store: MemoryBlockstore } {
  let hit = cars.get(path)
  if (hit === undefined) {
    // Every block of every CAR is hash-checked by readCar's default.
    const car = readCar(new Uint8Array(readFileSync(interopPath('mst-test-suite', path))), { verify: true })
    const root = car.roots[0] as Cid
    hit = { car, root, store: new MemoryBlockstore(car.blocks) }
    cars.set(path, hit)
  }
  return hit
}

const sorted = (cids: Iterable<Cid>): string[] => Array.from(cids, (c) => c.toString()).sort()

describe('mst-test-suite (DavidBuchanan314), every case', () => {
  it('diff, record ops, proofs, inductive proofs and inversion all match', async () => {
    const files = listInteropFiles('mst-test-suite', 'tests', '.json')
    let count = 0
    let firehoseCompared = 0
    let firehoseTodo = 0
    const failures: string[] = []
    for (const file of files) {
      const tc = readInteropJson<DiffCase>('mst-test-suite', file)
      if (tc.$type !== 'mst-diff') continue
      const a = loadCar(tc.inputs.mst_a)
      const b = loadCar(tc.inputs.mst_b)
      const treeA = MST.load(a.store, a.root)
      const treeB = MST.load(b.store, b.root)
      const diff = await mstDiff(treeA, treeB)
      const r = tc.results
      const ops = diff.ops.map((op) => ({
        rpath: op.key,
        old_value: op.prev?.toString() ?? null,
        new_value: op.cid?.toString() ?? null,
      }))
      const proof = await getKeyProofs(
        treeB,
        diff.ops.map((op) => op.key),
      )
      const inductive = await getInversionProof(treeB, diff.ops)
      const got = {
        created_nodes: sorted(diff.createdNodes),
        deleted_nodes: sorted(diff.deletedNodes),
        record_ops: ops,
        proof_nodes: sorted(Array.from(proof, ([cid]) => cid)),
        inductive_proof_nodes: sorted(Array.from(inductive, ([cid]) => cid)),
      }
      const want = {
        created_nodes: [...r.created_nodes].sort(),
        deleted_nodes: [...r.deleted_nodes].sort(),
        record_ops: r.record_ops,
        proof_nodes: [...r.proof_nodes].sort(),
        inductive_proof_nodes: [...r.inductive_proof_nodes].sort(),
      }
      let ok = JSON.stringify(got) === JSON.stringify(want)
      // The suite's README defines firehose_cids as created_nodes + new record values + proof_nodes,
      // but every case of the pinned copy holds the placeholder "TODO": compared only where a list is given.
      if (Array.isArray(r.firehose_cids)) {
        const fh = new Set<string>([...got.created_nodes, ...got.proof_nodes])
        for (const op of diff.ops) if (op.cid) fh.add(op.cid.toString())
        ok &&= JSON.stringify([...fh].sort()) === JSON.stringify([...r.firehose_cids].sort())
        firehoseCompared++
      } else if (r.firehose_cids === 'TODO') firehoseTodo++
      else ok = false
      // Inversion from the vector's own inductive proof blocks (taken from CAR b).
      const proofBlocks = new BlockMap()
      for (const s of r.inductive_proof_nodes) {
        const cid = parseCid(s)
        proofBlocks.set(cid, b.car.blocks.get(cid) as Uint8Array)
      }
      const recordOps: RecordOp[] = r.record_ops.map((op) => {
        if (op.old_value === null)
          return { action: 'create', key: op.rpath, cid: parseCid(op.new_value as string), prev: null }
        if (op.new_value === null)
          return { action: 'delete', key: op.rpath, cid: null, prev: parseCid(op.old_value) }
        return { action: 'update', key: op.rpath, cid: parseCid(op.new_value), prev: parseCid(op.old_value) }
      })
      const inv = await verifyOpsByInversion({
        root: b.root,
        prevRoot: a.root,
        blocks: proofBlocks,
        ops: recordOps,
      })
      if (!inv.success) ok = false
      if (!ok) {
        if (failures.length < 5) failures.push(`${file}: ${JSON.stringify({ got, want, inv })}`)
        else failures.push(file)
      }
      count++
    }
    recordInteropCount('mst-test-suite tests/**/*.json', count)
    // Said out loud so nobody reads the 16,384 above as "firehose_cids checked".
    if (firehoseCompared > 0) recordInteropCount('mst-test-suite firehose_cids compared', firehoseCompared)
    if (firehoseTodo > 0)
      console.info(
        `mst-test-suite: firehose_cids is "TODO" in ${firehoseTodo} of ${count} cases; those are not compared`,
      )
    expect(firehoseCompared + firehoseTodo).toBe(count)
    expect(failures.slice(0, 5)).toEqual([])
    expect(failures.length).toBe(0)
    expect(count).toBeGreaterThanOrEqual(16384)
  })
})
