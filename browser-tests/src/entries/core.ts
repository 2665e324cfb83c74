// The core packages in the browser: each check runs the packages' real entry points (the `browser`
// export condition, no node:*) against interop vectors and fixtures fetched from the loopback server.
import { iterateCar, readCarStream } from '@rsky/car'
import { P256Keypair, Secp256k1Keypair, sha256, verifySignature } from '@rsky/crypto'
import { type Cid, cidForCbor, cidForRaw, decode, encode, jsonToLex, lexToJson } from '@rsky/dag-cbor'
import { DidResolver, getPdsEndpoint, getSigningKey } from '@rsky/identity'
import { Lexicons } from '@rsky/lexicon'
import { MemoryBlockstore, MST } from '@rsky/mst'
import { verifyRepoCar } from '@rsky/repo'
import { iterateRepoRecords } from '@rsky/repo/read'
import { Firehose, staticKeys } from '@rsky/sync'
import {
  isValidAtIdentifier,
  isValidAtUri,
  isValidDatetime,
  isValidDid,
  isValidHandle,
  isValidNsid,
  isValidRecordKey,
  isValidTid,
} from '@rsky/syntax'
import {
  assert,
  base64ToBytes,
  check,
  fetchBytes,
  fetchJson,
  fetchText,
  runChecks,
  vectorLines,
} from './harness.ts'

export interface CoreConfig {
  samples: { file: string; did: string; key: string; records: number }[]
  mst: { keys: string[]; root: string }
  plc: { did: string; pds: string; key: string }
  firehose: { url: string; events: number; keys: Record<string, string> }
}

const cfg = await fetchJson<CoreConfig>('/config.json')

check('the page runs under a CSP without eval', () => {
  let evalWorks = true
  try {
    new Function('return 1')()
  } catch {
    evalWorks = false
  }
  assert(!evalWorks, 'new Function ran: the strict CSP is not in force')
  return undefined
})

const SYNTAX: Record<string, (s: string) => boolean> = {
  did: isValidDid,
  handle: isValidHandle,
  nsid: isValidNsid,
  recordkey: isValidRecordKey,
  tid: isValidTid,
  datetime: isValidDatetime,
  aturi: isValidAtUri,
  atidentifier: isValidAtIdentifier,
}

check('syntax: interop vectors', async () => {
  let n = 0
  for (const [kind, is] of Object.entries(SYNTAX)) {
    for (const valid of [true, false]) {
      const file = `${kind}_syntax_${valid ? 'valid' : 'invalid'}.txt`
      for (const raw of vectorLines(await fetchText(`/files/interop/syntax/${file}`))) {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
        assert(is(line) === valid, `${file}: ${JSON.stringify(line)}`)
        n++
      }
    }
  }
  assert(n > 0, 'no syntax vectors')
  return `${n} vectors`
})

interface SignatureFixture {
  messageBase64: string
  publicKeyDid: string
  signatureBase64: string
  validSignature: boolean
}

check('crypto: interop signature vectors, both curves', async () => {
  const fixtures = await fetchJson<SignatureFixture[]>('/files/interop/crypto/signature-fixtures.json')
  for (const f of fixtures) {
    const got = verifySignature(
      f.publicKeyDid,
      base64ToBytes(f.messageBase64),
      base64ToBytes(f.signatureBase64),
    )
    assert(got === f.validSignature, `${f.publicKeyDid}: expected ${f.validSignature}`)
  }
  assert(fixtures.length > 0, 'no signature vectors')
  return `${fixtures.length} vectors`
})

check('crypto: sign and verify on both curves', async () => {
  const data = new TextEncoder().encode('rsky in the browser')
  for (const kp of [Secp256k1Keypair.create(), P256Keypair.create()]) {
    const sig = await kp.sign(data)
    assert(sig.length === 64, 'signature is not 64 bytes')
    assert(verifySignature(kp.did(), data, sig), `${kp.did()}: own signature does not verify`)
    const other = data.slice()
    other[0] = (other[0] as number) ^ 1
    assert(!verifySignature(kp.did(), other, sig), `${kp.did()}: altered data verifies`)
  }
  assert(sha256(new Uint8Array()).length === 32, 'sha256')
  return undefined
})

interface DataModelFixture {
  json: unknown
  cbor_base64: string
  cid: string
}

check('dag-cbor: interop data-model fixtures', async () => {
  const fixtures = await fetchJson<DataModelFixture[]>('/files/interop/data-model/data-model-fixtures.json')
  for (const f of fixtures) {
    const bytes = encode(jsonToLex(f.json))
    const expected = base64ToBytes(f.cbor_base64)
    assert(bytes.length === expected.length && bytes.every((b, i) => b === expected[i]), `encode ${f.cid}`)
    assert(cidForCbor(bytes).toString() === f.cid, `cid ${f.cid}`)
    const again = encode(jsonToLex(lexToJson(decode(bytes))))
    assert(again.length === bytes.length && again.every((b, i) => b === bytes[i]), `round trip ${f.cid}`)
  }
  assert(fixtures.length > 0, 'no fixtures')
  return `${fixtures.length} fixtures`
})

check('car: a fetch ReadableStream, every block hash-checked', async () => {
  const sample = cfg.samples[0]!
  const res = await fetch(`/files/${sample.file}`)
  assert(res.body, 'no response body')
  const reader = readCarStream(res.body)
  const header = await reader.header
  let blocks = 0
  for await (const _ of reader.blocks) blocks++
  assert(header.roots.length === 1, 'roots')
  // the same bytes with one block byte flipped must fail the hash check
  const bytes = await fetchBytes(`/files/${sample.file}`)
  bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0xff
  let failed = false
  try {
    for (const _ of iterateCar(bytes));
  } catch {
    failed = true
  }
  assert(failed, 'a forged block passed')
  return `${blocks} blocks`
})

check('mst: the same root CID as in Node', async () => {
  const storage = new MemoryBlockstore()
  const leaf: Cid = cidForRaw(new TextEncoder().encode('leaf'))
  const tree = MST.create(
    storage,
    cfg.mst.keys.map((k) => [k, leaf] as const),
  )
  const root = await tree.getPointer()
  assert(root.toString() === cfg.mst.root, `root ${root} != ${cfg.mst.root}`)
  return `${cfg.mst.keys.length} keys`
})

check('repo: full verification of the sample repositories', async () => {
  const out: string[] = []
  for (const s of cfg.samples) {
    const v = await verifyRepoCar(await fetchBytes(`/files/${s.file}`), { did: s.did, key: s.key })
    assert(v.did === s.did, 'did')
    assert(v.records === s.records, `${s.file}: ${v.records} records, expected ${s.records}`)
    out.push(`${s.file}: ${v.records} records`)
  }
  return out.join(', ')
})

check('repo/read: records of the sample repositories in key order; a damaged block refused', async () => {
  const out: string[] = []
  for (const s of cfg.samples) {
    const car = await fetchBytes(`/files/${s.file}`)
    let n = 0
    let last = ''
    for (const r of iterateRepoRecords(car, { did: s.did })) {
      const key = `${r.collection}/${r.rkey}`
      assert(key > last, `${s.file}: ${key} after ${last}`)
      assert(r.cid.toString() === cidForCbor(encode(r.record)).toString(), `${s.file}: ${key} cid`)
      last = key
      n++
    }
    assert(n === s.records, `${s.file}: ${n} records, expected ${s.records}`)
    // one byte changed near the end (inside a block): a hash or structure error, never records
    const bad = car.slice()
    bad[bad.length - 3] = (bad[bad.length - 3] as number) ^ 1
    let code: unknown
    try {
      for (const _ of iterateRepoRecords(bad, { did: s.did })) {
      }
    } catch (err) {
      code = (err as { code?: unknown }).code
    }
    assert(typeof code === 'string', `${s.file}: a damaged CAR was read without an error`)
    out.push(`${s.file}: ${n} records`)
  }
  return out.join(', ')
})

check('lexicon: validation with eval blocked (closure path)', () => {
  const lex = new Lexicons([
    {
      lexicon: 1,
      id: 'com.example.thing',
      defs: {
        main: {
          type: 'record',
          key: 'tid',
          record: {
            type: 'object',
            required: ['text', 'createdAt'],
            properties: {
              text: { type: 'string', maxLength: 300, maxGraphemes: 30 },
              createdAt: { type: 'string', format: 'datetime' },
              tags: { type: 'array', items: { type: 'string' }, maxLength: 3 },
            },
          },
        },
      },
    },
  ])
  const ok = lex.validateRecord('com.example.thing', {
    $type: 'com.example.thing',
    text: 'hi',
    createdAt: '2024-01-01T00:00:00Z',
  })
  assert(ok.success, 'valid record refused')
  const bad = lex.validateRecord('com.example.thing', {
    $type: 'com.example.thing',
    text: 'x'.repeat(31),
    createdAt: 'yesterday',
  })
  assert(!bad.success, 'invalid record accepted')
  return undefined
})

check('identity: did:plc resolution from a loopback directory', async () => {
  const resolver = new DidResolver({ plcUrl: location.origin })
  const doc = await resolver.resolve(cfg.plc.did)
  assert(doc, 'no document')
  assert(getPdsEndpoint(doc) === cfg.plc.pds, 'pds endpoint')
  assert(getSigningKey(doc) === cfg.plc.key, 'signing key')
  let missing = false
  try {
    missing = (await resolver.resolve('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa')) === null
  } catch {
    missing = true
  }
  assert(missing, 'an unknown DID resolved')
  return undefined
})

check("sync: a firehose over the browser's WebSocket", async () => {
  let events = 0
  const rejected: string[] = []
  const fh = new Firehose({
    service: cfg.firehose.url,
    keys: staticKeys(cfg.firehose.keys),
    onEvent: () => {
      events++
    },
    onReject: (r) => {
      rejected.push(`${r.seq} ${r.code} ${r.message}`)
    },
  } as ConstructorParameters<typeof Firehose>[0])
  void fh.start()
  const until = Date.now() + 20_000
  while (events + rejected.length < cfg.firehose.events && Date.now() < until)
    await new Promise((r) => setTimeout(r, 20))
  await fh.stop()
  assert(rejected.length === 0, `rejected: ${rejected.slice(0, 3).join('; ')}`)
  assert(events === cfg.firehose.events, `${events} of ${cfg.firehose.events} events`)
  return `${events} events`
})

await runChecks()
