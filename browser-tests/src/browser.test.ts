// Runs the core packages' checks (entries/core.ts) in headless Chromium: the page is served from a
// loopback server under a strict CSP, reads interop vectors and sample repositories from it, resolves
// a did:plc from it and follows a firehose from a loopback WebSocket server. One vitest case per
// in-page check. Without Chromium the suite is skipped, except with CI=true, where it fails.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Secp256k1Keypair } from '@rsky/crypto'
import { cidForRaw } from '@rsky/dag-cbor'
import { MemoryBlockstore, MST } from '@rsky/mst'
import { interopRoot, recordInteropCount } from '@rsky/test-vectors'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seededStream } from '../../packages/sync/test/fixtures.ts'
import { type ReplayServer, startReplayServer } from '../../packages/sync/test/server.ts'
import { bundleEntry } from './bundle.ts'
import { ChromiumMissingError, chromiumPath, launchChromium } from './chromium.ts'
import type { CoreConfig } from './entries/core.ts'
import type { CheckResult } from './entries/harness.ts'
import { type PageServer, startPageServer } from './serve.ts'

const here = dirname(fileURLToPath(import.meta.url))
const repos = join(here, '..', '..', 'test-vectors', 'repos')
const executable = chromiumPath()
if (!executable && process.env['CI'] === 'true') throw new ChromiumMissingError()

/** The names of the checks entries/core.ts registers, in order (each becomes a test case). */
const CORE_CHECKS = [
  'the page runs under a CSP without eval',
  'syntax: interop vectors',
  'crypto: interop signature vectors, both curves',
  'crypto: sign and verify on both curves',
  'dag-cbor: interop data-model fixtures',
  'car: a fetch ReadableStream, every block hash-checked',
  'mst: the same root CID as in Node',
  'repo: full verification of the sample repositories',
  'repo/read: records of the sample repositories in key order; a damaged block refused',
  'lexicon: validation with eval blocked (closure path)',
  'identity: did:plc resolution from a loopback directory',
  "sync: a firehose over the browser's WebSocket",
]

async function mstFixture(): Promise<CoreConfig['mst']> {
  const keys = Array.from(
    { length: 300 },
    (_, i) => `app.bsky.feed.post/${(1e12 + i * 7919).toString(36)}`,
  ).sort()
  const leaf = cidForRaw(new TextEncoder().encode('leaf'))
  const tree = MST.create(
    new MemoryBlockstore(),
    keys.map((k) => [k, leaf] as const),
  )
  return { keys, root: (await tree.getPointer()).toString() }
}

describe.skipIf(!executable)('core packages in headless Chromium', () => {
  let browser: Browser
  let page: PageServer
  let firehose: ReplayServer
  let results: Map<string, CheckResult>

  beforeAll(async () => {
    const samples = JSON.parse(readFileSync(join(repos, 'samples.json'), 'utf8')) as CoreConfig['samples']
    const { accounts, stream, keys } = await seededStream(7, 6, 60, { commitsOnly: true })
    void keys
    firehose = await startReplayServer(stream.map((e) => ({ kind: 'event', seq: e.seq, frame: e.frame })))
    const plcKey = Secp256k1Keypair.create()
    const plcDid = 'did:plc:rskybrowsertestaaaaaaaaa'
    const pds = 'https://pds.example.com'
    const config: CoreConfig = {
      samples,
      mst: await mstFixture(),
      plc: { did: plcDid, pds, key: plcKey.did() },
      firehose: {
        url: firehose.url,
        events: stream.length,
        keys: Object.fromEntries(accounts.map((a) => [a.did, a.keypair.did()])),
      },
    }
    const interop = interopRoot('atproto-interop-tests')
    const files: Record<string, string> = {}
    for (const s of samples) files[s.file] = join(repos, s.file)
    for (const kind of ['did', 'handle', 'nsid', 'recordkey', 'tid', 'datetime', 'aturi', 'atidentifier'])
      for (const v of ['valid', 'invalid'])
        files[`interop/syntax/${kind}_syntax_${v}.txt`] = join(interop, 'syntax', `${kind}_syntax_${v}.txt`)
    files['interop/crypto/signature-fixtures.json'] = join(interop, 'crypto', 'signature-fixtures.json')
    files['interop/data-model/data-model-fixtures.json'] = join(
      interop,
      'data-model',
      'data-model-fixtures.json',
    )
    page = await startPageServer({
      bundle: await bundleEntry('core'),
      config,
      files,
      didDocuments: {
        [plcDid]: {
          '@context': ['https://www.w3.org/ns/did/v1'],
          id: plcDid,
          alsoKnownAs: ['at://browser.test'],
          verificationMethod: [
            {
              id: `${plcDid}#atproto`,
              type: 'Multikey',
              controller: plcDid,
              publicKeyMultibase: plcKey.did().slice('did:key:'.length),
            },
          ],
          service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: pds }],
        },
      },
    })
    browser = await launchChromium(executable as string)
    const tab = await browser.newPage()
    const errors: string[] = []
    tab.on('pageerror', (e) => errors.push(String(e)))
    await tab.goto(page.url)
    await tab
      .waitForFunction(() => document.title === 'done', undefined, { timeout: 120_000 })
      .catch(() => {
        throw new Error(`the page did not finish: ${errors.join('; ') || 'no page error'}`)
      })
    const list = (await tab.evaluate(
      () => (globalThis as { __rskyResults?: unknown }).__rskyResults,
    )) as CheckResult[]
    results = new Map(list.map((r) => [r.name, r]))
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await page?.close()
    await firehose?.close()
  })

  it('ran every check the page registers', () => {
    expect([...results.keys()]).toEqual(CORE_CHECKS)
  })

  for (const name of CORE_CHECKS) {
    it(name, () => {
      const r = results.get(name)
      expect(r, 'the check did not run').toBeDefined()
      expect(r?.error).toBeUndefined()
      expect(r?.ok).toBe(true)
      const count = /^(\d+) (vectors|fixtures)$/.exec(r?.detail ?? '')
      if (count) recordInteropCount(`browser: ${name}`, Number(count[1]))
    })
  }
})
