// The stream reader's sources: Node streams, web ReadableStreams, sync and async iterables;
// early exit releases the source; bad sources are caller mistakes (TypeError).
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { CarTruncatedError, iterateCar, readCarStream, writeCar, writeCarStream } from '../src/index.ts'
import { readStream, readSync, readVisited, smallBlocks, splitAt } from './helpers.ts'

const { roots, blocks } = smallBlocks()
const car = writeCar(roots, blocks)
const expected = readSync(car)

describe('stream sources', () => {
  it('a Node Readable', async () => {
    expect(await readStream(Readable.from(splitAt(car, [5, 50, 100])))).toEqual(expected)
  })

  it('a web ReadableStream (read through a reader)', async () => {
    const chunks = splitAt(car, [3, 60])
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(c)
        controller.close()
      },
    })
    expect(await readStream(stream)).toEqual(expected)
  })

  it('writeCarStream piped straight into readCarStream', async () => {
    expect(await readStream(writeCarStream(roots, blocks, { chunkSize: 7 }))).toEqual(expected)
  })

  it('a stream that breaks mid-block raises with how far it got', async () => {
    const cut = car.length - 10
    async function* source() {
      yield car.subarray(0, cut)
    }
    const reader = readCarStream(source())
    const seen = []
    await expect(
      (async () => {
        for await (const b of reader) seen.push(b)
      })(),
    ).rejects.toBeInstanceOf(CarTruncatedError)
    expect(seen.length).toBe(2)
    expect(reader.blocksRead).toBe(2)
  })

  it('a stream whose source throws passes the error on', async () => {
    async function* source() {
      yield car.subarray(0, 50)
      throw new Error('socket reset')
    }
    await expect(
      (async () => {
        for await (const _ of readCarStream(source())) {
          // consume
        }
      })(),
    ).rejects.toThrow('socket reset')
  })

  it('breaking out of the loop cancels the web stream', async () => {
    let cancelled = false
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(car)
      },
      cancel() {
        cancelled = true
      },
    })
    for await (const _ of readCarStream(stream)) break
    expect(cancelled).toBe(true)
  })

  it('blocks iterate once; bad sources and options are TypeErrors/RangeErrors', async () => {
    const reader = readCarStream(car)
    for await (const _ of reader) {
      // drain
    }
    await expect(
      (async () => {
        for await (const _ of reader.blocks) {
          // second pass
        }
      })(),
    ).rejects.toBeInstanceOf(TypeError)
    expect(() => readCarStream(42 as never)).toThrow(TypeError)
    expect(() => iterateCar('car' as never)).toThrow(TypeError)
    expect(() => iterateCar(car, { maxBlockBytes: -1 })).toThrow(RangeError)
    expect(await readStream([car.subarray(0, 5), 'x' as never]).catch((e: unknown) => e)).toBeInstanceOf(
      TypeError,
    )
  })

  it('overlapping next() calls resolve in order, across chunk boundaries', async () => {
    const it = readCarStream(splitAt(car, [7, 45, 46, 120]))[Symbol.asyncIterator]()
    const results = await Promise.all([it.next(), it.next(), it.next(), it.next(), it.next()])
    expect(results.map((r) => r.done)).toEqual([false, false, false, true, true])
    expect(results.slice(0, 3).map((r) => (r.done ? '' : r.value.cid.toString()))).toEqual(
      blocks.map((b) => b.cid.toString()),
    )
  })

  it('after an error the iterator is finished', async () => {
    const it = readCarStream(car.subarray(0, car.length - 1))[Symbol.asyncIterator]()
    await it.next()
    await it.next()
    await expect(it.next()).rejects.toBeInstanceOf(CarTruncatedError)
    expect(await it.next()).toEqual({ done: true, value: undefined })
  })

  it('iterateCar reports blocksRead and stops after an error', () => {
    const it = iterateCar(car)
    it.next()
    expect(it.blocksRead).toBe(1)
    expect([...it].length).toBe(2)
    expect(it.next().done).toBe(true)
  })

  it('forEachBlock: every source kind, once only, a throwing visitor closes the source', async () => {
    expect(await readVisited(Readable.from(splitAt(car, [3, 60])))).toEqual(expected)
    expect(await readVisited(writeCarStream(roots, blocks, { chunkSize: 7 }))).toEqual(expected)
    const reader = readCarStream(car)
    await reader.forEachBlock(() => {})
    expect(reader.blocksRead).toBe(3)
    await expect(reader.forEachBlock(() => {})).rejects.toBeInstanceOf(TypeError)
    let cancelled = false
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(car)
      },
      cancel() {
        cancelled = true
      },
    })
    const stop = new Error('stop')
    await expect(
      readCarStream(stream).forEachBlock(() => {
        throw stop
      }),
    ).rejects.toBe(stop)
    expect(cancelled).toBe(true)
  })
})
