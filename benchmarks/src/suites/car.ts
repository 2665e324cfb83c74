// CAR reading and writing: a 100,000-record repository CAR (built by @atproto/repo from seeded
// records, see ../workloads/car.ts), read with every block hashed and checked against its CID.
import { hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import {
  fromStream as atcuteFromStream,
  fromUint8Array as atcuteRead,
  writeCarStream as atcuteWriteStream,
} from '@atcute/car'
import {
  BlockMap as AtprotoBlockMap,
  blocksToCarFile as atprotoBlocksToCarFile,
  readCarStream as atprotoReadCarStream,
  readCarWithRoot as atprotoReadCarWithRoot,
} from '@atproto/repo'
import { CarBlockIterator, CarBufferWriter } from '@ipld/car'
import { iterateCar, readCar, readCarStream, writeCar } from '@rsky/car'
import { CID } from 'multiformats/cid'
import type { BenchCase, BenchSuite } from '../harness.ts'
import { repoCar } from '../workloads/car.ts'
import { workloadDir } from '../workloads.ts'

/** The natural node:crypto check a caller of a non-verifying reader writes. */
function digestMatches(bytes: Uint8Array, digest: Uint8Array): boolean {
  const d = hash('sha256', bytes, 'buffer') as unknown as Uint8Array
  if (d.length !== digest.length) return false
  for (let i = 0; i < d.length; i++) if (d[i] !== digest[i]) return false
  return true
}

function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size))
  return out
}

const suite: BenchSuite = {
  name: 'car',
  description: 'Hash-checked CAR reads and CAR writes on a 100,000-record repository CAR.',
  async cases() {
    const car = await repoCar()
    let blockCount = 0
    for (const _ of iterateCar(car)) blockCount++
    const mb = (car.length / 1e6).toFixed(1)
    // The write case's inputs are built in its factories, so no large heap of blocks is alive
    // (and being traced by the GC) while the read cases run.
    const inputs = () => {
      const { roots, blocks } = readCar(car)
      return { roots, list: [...blocks.blocks()] }
    }
    const chunks = chunked(car, 65_536)
    const workload = join(workloadDir, 'repo-100k.car')
    const cases: BenchCase[] = [
      {
        name: `read + hash-check a 100k-record repo CAR (${mb} MB, ${blockCount} blocks)`,
        unit: 'byte',
        perCall: car.length,
        workload,
        note: 'every block hashed with sha2-256 and compared with its CID; @ipld/car and @atcute/car check nothing themselves, so the check is added with node:crypto',
        impls: {
          '@rsky/car iterateCar': () => () => {
            let n = 0
            for (const _ of iterateCar(car)) n++
            if (n !== blockCount) throw new Error('wrong block count')
          },
          '@atproto/repo readCarWithRoot': () => async () => {
            const { blocks } = await atprotoReadCarWithRoot(car)
            if (blocks.size === 0) throw new Error('no blocks')
          },
          '@ipld/car + node:crypto': () => async () => {
            const it = await CarBlockIterator.fromBytes(car)
            for await (const block of it) {
              if (!digestMatches(block.bytes, block.cid.multihash.digest)) throw new Error('hash mismatch')
            }
          },
          '@atcute/car + node:crypto': () => () => {
            for (const entry of atcuteRead(car)) {
              if (!digestMatches(entry.bytes, entry.cid.digest.contents)) throw new Error('hash mismatch')
            }
          },
        },
      },
      {
        name: `read + hash-check into a block map (${mb} MB)`,
        unit: 'byte',
        perCall: car.length,
        impls: {
          '@rsky/car readCar': () => () => {
            if (readCar(car).blocks.size === 0) throw new Error('no blocks')
          },
          '@atproto/repo readCarWithRoot': () => async () => {
            const { blocks } = await atprotoReadCarWithRoot(car)
            if (blocks.size === 0) throw new Error('no blocks')
          },
        },
      },
      {
        name: `stream read + hash-check from 64 KiB chunks (${mb} MB)`,
        unit: 'byte',
        perCall: car.length,
        impls: {
          '@rsky/car readCarStream': () => async () => {
            let n = 0
            for await (const _ of readCarStream(chunks)) n++
            if (n !== blockCount) throw new Error('wrong block count')
          },
          '@ipld/car + node:crypto': () => async () => {
            const it = await CarBlockIterator.fromIterable(
              (async function* () {
                yield* chunks
              })(),
            )
            for await (const block of it) {
              if (!digestMatches(block.bytes, block.cid.multihash.digest)) throw new Error('hash mismatch')
            }
          },
        },
      },
      {
        name: `stream a repo CAR from disk, hash-checked, holding one block at a time (${mb} MB)`,
        unit: 'byte',
        perCall: car.length,
        memory: true,
        workload,
        note: 'peak RSS above the process baseline during one read of the file through fs.createReadStream (64 KiB chunks)',
        impls: {
          '@rsky/car readCarStream': () => async () => {
            let n = 0
            for await (const _ of readCarStream(createReadStream(workload))) n++
            if (n !== blockCount) throw new Error('wrong block count')
          },
          '@atproto/repo readCarStream': () => async () => {
            const { blocks } = await atprotoReadCarStream(createReadStream(workload))
            let n = 0
            for await (const _ of blocks) n++
            if (n !== blockCount) throw new Error('wrong block count')
          },
          '@ipld/car + node:crypto': () => async () => {
            const it = await CarBlockIterator.fromIterable(createReadStream(workload))
            for await (const block of it) {
              if (!digestMatches(block.bytes, block.cid.multihash.digest)) throw new Error('hash mismatch')
            }
          },
          '@atcute/car fromStream + node:crypto': () => async () => {
            const reader = atcuteFromStream(
              Readable.toWeb(createReadStream(workload)) as ReadableStream<Uint8Array>,
            )
            for await (const entry of reader) {
              if (!digestMatches(entry.bytes, entry.cid.digest.contents)) throw new Error('hash mismatch')
            }
          },
        },
      },
      {
        name: `write a repo CAR from its blocks (${mb} MB)`,
        unit: 'byte',
        perCall: car.length,
        impls: {
          '@rsky/car writeCar': () => {
            const { roots, list } = inputs()
            return () => writeCar(roots, list)
          },
          '@atproto/repo blocksToCarFile': () => {
            const { roots, list } = inputs()
            const map = new AtprotoBlockMap()
            for (const { cid, bytes } of list) map.set(CID.decode(cid.bytes) as never, bytes)
            const root = CID.decode(roots[0]!.bytes)
            return () => atprotoBlocksToCarFile(root as never, map)
          },
          '@ipld/car CarBufferWriter': () => {
            const { roots, list } = inputs()
            const mfRoots = roots.map((r) => CID.decode(r.bytes))
            const mfBlocks = list.map(({ cid, bytes }) => ({ cid: CID.decode(cid.bytes), bytes }))
            return () => {
              const w = CarBufferWriter.createWriter(new ArrayBuffer(car.length + 1024), { roots: mfRoots })
              for (const b of mfBlocks) w.write(b)
              return w.close({ resize: true })
            }
          },
          '@atcute/car writeCarStream': () => {
            const { list } = inputs()
            const atRoots = atcuteRead(car).roots
            const atBlocks = list.map(({ cid, bytes }) => ({ cid: cid.bytes, data: bytes }))
            return async () => {
              const parts: Uint8Array[] = []
              for await (const c of atcuteWriteStream(atRoots, atBlocks)) parts.push(c)
              return parts
            }
          },
        },
      },
    ]
    return cases
  },
}

export default suite
