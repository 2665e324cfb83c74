// Commit signatures checked on a worker thread: the same answers and errors as on the calling
// thread (BAD_SIGNATURE, KEY_UNAVAILABLE, the retry on a refreshed key), and every check still
// answered when the worker fails or after the thread is closed.
import { readCar, writeCar } from '@rsky/car'
import { P256Keypair, Secp256k1Keypair, verifySignature } from '@rsky/crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readVerifiedRepo } from '../src/index.ts'
import { SMALL_CAR_BYTES } from '../src/repo-walk.ts'
import { SignatureThread } from '../src/signature-thread.ts'
import { carOf, codeOf, keysOf, makeAccount, once, type TestAccount } from './fixtures.ts'

const DID = 'did:plc:signaturethread0000000000'
const DATA = new TextEncoder().encode('the unsigned commit')
let account: TestAccount
let car: Uint8Array
const sigs = new SignatureThread()

beforeAll(async () => {
  account = await makeAccount(DID, 30, '4a1c0f3e2d5b6a798897a6b5c4d3e2f1001122334455667788990a1b2c3d4e5f')
  car = await carOf(account)
})
afterAll(() => sigs.close())

describe('SignatureThread', () => {
  it('answers as verifySignature does: both curves, a wrong key, damaged and short signatures', async () => {
    const k = Secp256k1Keypair.create()
    const p = P256Keypair.create()
    const sk = await k.sign(DATA)
    const sp = await p.sign(DATA)
    const flipped = sk.slice()
    flipped[10] = (flipped[10] as number) ^ 1
    const cases: [string, Uint8Array, Uint8Array][] = [
      [k.did(), DATA, sk],
      [p.did(), DATA, sp],
      [k.did(), DATA, sp],
      [k.did(), DATA, flipped],
      [k.did(), DATA.subarray(1), sk],
      [k.did(), DATA, sk.subarray(0, 63)],
      [k.did(), DATA, new Uint8Array(64)],
      [p.did(), DATA, new Uint8Array(64).fill(0xff)],
    ]
    const got = await Promise.all(cases.map(([key, d, s]) => sigs.verify(key, d, s)))
    expect(got).toEqual(cases.map(([key, d, s]) => verifySignature(key, d, s)))
    expect(got.slice(0, 2)).toEqual([true, true])
    expect(sigs.threaded).toBe(true)
  })

  it('a malformed did:key rejects with the error verifySignature throws', async () => {
    let expected: unknown
    try {
      verifySignature('did:key:zNotAKey', DATA, new Uint8Array(64))
    } catch (err) {
      expected = err
    }
    expect(expected).toBeInstanceOf(Error)
    await expect(sigs.verify('did:key:zNotAKey', DATA, new Uint8Array(64))).rejects.toThrow(
      (expected as Error).message,
    )
    await expect(sigs.verify('did:key:zNotAKey', DATA, new Uint8Array(64))).rejects.toBeInstanceOf(
      (expected as Error).constructor,
    )
  })

  it('a worker that cannot run: every check answered here, the same way', async () => {
    const broken = new SignatureThread({ workerUrl: new URL('data:text/javascript,process.exit(3)') })
    const k = Secp256k1Keypair.create()
    const sig = await k.sign(DATA)
    const got = await Promise.all([
      broken.verify(k.did(), DATA, sig),
      broken.verify(k.did(), DATA, new Uint8Array(64)),
    ])
    expect(got).toEqual([true, false])
    // the failure is noticed once the worker exits; later checks run on this thread
    await new Promise((r) => setTimeout(r, 200))
    expect(broken.threaded).toBe(false)
    expect(await broken.verify(k.did(), DATA, sig)).toBe(true)
    await broken.close()
  })

  it('a worker file that is not there (a bundler moved it): checks answered here', async () => {
    const missing = new SignatureThread({
      workerUrl: new URL('file:///nonexistent/rsky-signature-worker.js'),
    })
    const k = Secp256k1Keypair.create()
    const sig = await k.sign(DATA)
    expect(await missing.verify(k.did(), DATA, sig)).toBe(true)
    expect(await missing.checkCar(car)).toEqual({ ok: true })
    expect(missing.threaded).toBe(false)
    await missing.close()
  })

  it('after close, checks run on this thread', async () => {
    const t = new SignatureThread()
    const k = Secp256k1Keypair.create()
    const sig = await k.sign(DATA)
    expect(await t.verify(k.did(), DATA, sig)).toBe(true)
    await t.close()
    expect(t.threaded).toBe(false)
    expect(await t.verify(k.did(), DATA, sig)).toBe(true)
    expect(await t.verify(k.did(), DATA.subarray(2), sig)).toBe(false)
    await t.close()
  })
})

describe('openVerifiedRepo with the signature on a worker thread', () => {
  it('a valid repository reads whole', async () => {
    const r = await readVerifiedRepo({ did: DID, car: once(car), keys: keysOf(account), signatures: sigs })
    expect(r.records).toHaveLength(30)
  })

  it('signed by another key: BAD_SIGNATURE after one refresh', async () => {
    const other = Secp256k1Keypair.create()
    const asked: boolean[] = []
    const keys = {
      resolveAtprotoKey: (_did: string, o?: { forceRefresh?: boolean }) => {
        asked.push(o?.forceRefresh === true)
        return other.did()
      },
    }
    expect(await codeOf(readVerifiedRepo({ did: DID, car: once(car), keys, signatures: sigs }))).toBe(
      'BAD_SIGNATURE',
    )
    expect(asked).toEqual([false, true])
  })

  it('a rotated key: the stale one fails, the refreshed one verifies', async () => {
    const stale = Secp256k1Keypair.create()
    const keys = {
      resolveAtprotoKey: (_did: string, o?: { forceRefresh?: boolean }) =>
        o?.forceRefresh === true ? account.keypair.did() : stale.did(),
    }
    const r = await readVerifiedRepo({ did: DID, car: once(car), keys, signatures: sigs })
    expect(r.records).toHaveLength(30)
  })

  it('no key to be had: KEY_UNAVAILABLE', async () => {
    const keys = {
      resolveAtprotoKey: () => {
        throw new Error('plc down')
      },
    }
    expect(await codeOf(readVerifiedRepo({ did: DID, car: once(car), keys, signatures: sigs }))).toBe(
      'KEY_UNAVAILABLE',
    )
  })
})

describe('a small CAR read unhashed here while the thread hashes it: the same answers', () => {
  let big: TestAccount
  let bigCar: Uint8Array
  beforeAll(async () => {
    // large enough to be streamed and hashed as read (past SMALL_CAR_BYTES)
    big = await makeAccount('did:plc:signaturethreadbig0000000', 6000)
    bigCar = await carOf(big)
    expect(bigCar.length).toBeGreaterThan(SMALL_CAR_BYTES)
  })

  const flip = (bytes: Uint8Array, at: number): Uint8Array => {
    const out = bytes.slice()
    out[at] = (out[at] as number) ^ 0xff
    return out
  }
  const cases: [string, () => Uint8Array, string?][] = [
    ['a valid repository', () => car],
    ['a record block that does not hash to its CID', () => flip(car, car.length - 5)],
    [
      'the commit block damaged',
      () => {
        const { roots } = readCar(car)
        const at = indexOf(car, (roots[0] as { bytes: Uint8Array }).bytes) + 40
        return flip(car, at)
      },
    ],
    ['truncated', () => car.subarray(0, car.length - 9)],
    ['empty', () => new Uint8Array(0)],
    ['garbage', () => new TextEncoder().encode('<html>not a car</html>')],
    [
      'a missing record block',
      () => {
        const { roots, blocks } = readCar(car)
        const rec = [...blocks.cids()].find((c) => c.code === 0x71 && !c.equals(roots[0]))
        const kept = [...blocks.entries()].filter(([c]) => !c.equals(rec))
        return writeCar(roots, kept.map(([cid, bytes]) => ({ cid, bytes })) as never)
      },
    ],
    ['another DID', () => car, 'did:plc:someoneelse0000000000000'],
    ['another DID and a damaged block', () => flip(car, car.length - 5), 'did:plc:someoneelse0000000000000'],
    ['a large repository', () => bigCar, 'big'],
    ['a large repository with a damaged block', () => flip(bigCar, bigCar.length - 5), 'big'],
  ]
  for (const [name, make, who] of cases) {
    it(`${name}: as without the thread`, async () => {
      const bytes = make()
      const did = who === 'big' ? big.did : (who ?? DID)
      const keys = keysOf(account, big)
      // in chunks, as a download comes
      const chunks = function* () {
        for (let i = 0; i < bytes.length; i += 16_384) yield bytes.subarray(i, i + 16_384)
      }
      const plain = await codeOf(readVerifiedRepo({ did, car: chunks(), keys }))
      const threaded = await codeOf(readVerifiedRepo({ did, car: chunks(), keys, signatures: sigs }))
      expect(threaded).toBe(plain)
      if (name.startsWith('a valid') || name === 'a large repository') expect(threaded).toBe('ok')
      if (name.includes('damaged')) expect(threaded).toBe('BAD_REPO')
    })
  }

  it('signed by another key and a block damaged: BAD_REPO, as the reader refuses first', async () => {
    const other = Secp256k1Keypair.create()
    const keys = { resolveAtprotoKey: () => other.did() }
    const bytes = flip(car, car.length - 5)
    expect(await codeOf(readVerifiedRepo({ did: DID, car: once(bytes), keys }))).toBe('BAD_REPO')
    expect(await codeOf(readVerifiedRepo({ did: DID, car: once(bytes), keys, signatures: sigs }))).toBe(
      'BAD_REPO',
    )
  })

  it('a large repository checks its signature on the calling thread: the checker is never asked', async () => {
    const asked: string[] = []
    const counting = {
      verify: (key: string, data: Uint8Array, sig: Uint8Array) => {
        asked.push('verify')
        return sigs.verify(key, data, sig)
      },
      checkCar: (bytes: Uint8Array) => {
        asked.push('checkCar')
        return sigs.checkCar(bytes)
      },
    }
    const repo = await readVerifiedRepo({
      did: big.did,
      car: once(bigCar),
      keys: keysOf(big),
      signatures: counting,
    })
    expect(repo.records.length).toBe(6000)
    expect(asked).toEqual([])
    await readVerifiedRepo({ did: DID, car: once(car), keys: keysOf(account), signatures: counting })
    expect(asked.sort()).toEqual(['checkCar', 'verify'])
  })

  it('the records of a small repository read this way are those read the plain way', async () => {
    const a = await readVerifiedRepo({ did: DID, car: once(car), keys: keysOf(account) })
    const b = await readVerifiedRepo({ did: DID, car: once(car), keys: keysOf(account), signatures: sigs })
    expect(b.records.map((r) => [r.rkey, r.cid.toString()])).toEqual(
      a.records.map((r) => [r.rkey, r.cid.toString()]),
    )
  })
})

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}
