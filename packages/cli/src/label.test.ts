// `rsky label sign|verify|subscribe`: round trips on both curves, tampered labels exit 1 with a
// reason per label, keys resolved from a loopback PLC directory, and a stream from a real labeler.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import { Labeler, SqliteLabelStore, serveLabeler } from '@rsky/labeler'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CommandInput } from './command.ts'
import { labelCommands } from './commands/label.ts'
import { createOutput } from './output.ts'

const DID = 'did:plc:abcdefghijklmnopqrstuvwx'
const K256_HEX = '9085d2bef69286a6cbb51623c8fa258629945cd55ca705cc4e66700396894e0c'
const P256_HEX = 'c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721'
const dir = mkdtempSync(join(tmpdir(), 'rsky-label-'))

async function run(name: string, positionals: string[], values: CommandInput['values'] = {}, json = false) {
  const command = labelCommands.find((c) => c.path.join(' ') === `label ${name}`)
  if (!command) throw new Error(`no command ${name}`)
  let stdout = ''
  let stderr = ''
  const streams = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  }
  const code = await command.run({ positionals, values, out: createOutput(json, streams), streams })
  return { code, stdout, stderr }
}

function file(name: string, content: unknown): string {
  const p = join(dir, name)
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content))
  return p
}

const unsigned = [
  {
    src: DID,
    uri: 'at://did:plc:zyxwvutsrqponmlkjihgfedc/app.bsky.feed.post/3l3qo2vuowo2b',
    val: 'spam',
    cts: '2024-01-01T00:00:00.000Z',
  },
  {
    src: DID,
    uri: 'did:plc:zyxwvutsrqponmlkjihgfedc',
    val: '!hide',
    neg: true,
    cts: '2024-01-02T00:00:00.000Z',
  },
]

// A PLC directory on loopback that serves one labeler document.
let plc: Server
let plcUrl = ''
let servedKey = Secp256k1Keypair.import(K256_HEX).did()
beforeAll(async () => {
  plc = createServer((req, res) => {
    if (decodeURIComponent(req.url ?? '') !== `/${DID}`) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({
        '@context': ['https://www.w3.org/ns/did/v1'],
        id: DID,
        verificationMethod: [
          {
            id: `${DID}#atproto_label`,
            type: 'Multikey',
            controller: DID,
            publicKeyMultibase: servedKey.slice(8),
          },
        ],
      }),
    )
  })
  await new Promise<void>((r) => plc.listen(0, '127.0.0.1', () => r()))
  plcUrl = `http://127.0.0.1:${(plc.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((r) => plc.close(r))
})

describe('rsky label sign / verify', () => {
  it.each([
    ['k256', K256_HEX, Secp256k1Keypair.import(K256_HEX).did()],
    ['p256', P256_HEX, P256Keypair.import(P256_HEX).did()],
  ])(
    '%s: signs an array, verifies it with --key; a tampered label exits 1 with its reason',
    async (curve, hex, didKey) => {
      const keyFile = file(`${curve}.hex`, `${hex}\n`)
      const signed = await run('sign', [file(`in-${curve}.json`, unsigned)], { 'key-file': keyFile, curve })
      expect(signed.code).toBe(0)
      const labels = JSON.parse(signed.stdout) as Record<string, unknown>[]
      expect(labels).toHaveLength(2)
      expect(labels[0]?.sig).toMatchObject({ $bytes: expect.any(String) })
      const ok = await run('verify', [file(`signed-${curve}.json`, labels)], { key: didKey })
      expect(ok.code).toBe(0)
      expect(ok.stdout).toContain('2 of 2 labels valid')
      const tampered = [labels[0], { ...labels[1], val: '!warn' }, { ...labels[0], sig: { $bytes: 'AAAA' } }]
      const bad = await run('verify', [file(`bad-${curve}.json`, tampered)], { key: didKey }, true)
      expect(bad.code).toBe(1)
      const doc = JSON.parse(bad.stdout) as { valid: boolean; labels: { valid: boolean; reason?: string }[] }
      expect(doc.valid).toBe(false)
      expect(doc.labels.map((l) => l.reason ?? 'ok')).toEqual(['ok', 'BAD_SIGNATURE', 'MALFORMED'])
    },
  )

  it("resolves the labeler's #atproto_label key from a PLC directory (--plc)", async () => {
    const keyFile = file('k.hex', K256_HEX)
    const signed = await run('sign', [file('one.json', unsigned[0])], { 'key-file': keyFile })
    const one = file('one-signed.json', JSON.parse(signed.stdout))
    const first = await run('verify', [one], { plc: plcUrl })
    expect(first.stdout).toContain('1 of 1')
    servedKey = P256Keypair.import(P256_HEX).did() // the labeler rotated away from the signing key
    const after = await run('verify', [one], { plc: plcUrl }, true)
    expect(after.code).toBe(1)
    expect(JSON.parse(after.stdout).labels[0].reason).toBe('BAD_SIGNATURE')
    servedKey = Secp256k1Keypair.import(K256_HEX).did()
  })

  it('usage errors: no key file, bad key, not JSON', async () => {
    await expect(run('sign', [file('x.json', unsigned)], {})).rejects.toThrow('--key-file')
    await expect(
      run('sign', [file('y.json', unsigned)], { 'key-file': file('bad.hex', 'zz') }),
    ).rejects.toThrow('hex')
    await expect(run('verify', [file('z.json', '{not json')], { key: 'did:key:zQ3s' })).rejects.toThrow(
      'not JSON',
    )
    await expect(run('verify', [file('w.json', unsigned)], { key: 'nope' })).rejects.toThrow('did:key')
  })
})

describe('rsky label subscribe', () => {
  it('prints verified labels from a labeler as JSON lines', async () => {
    const labeler = await Labeler.create({
      did: DID,
      keypair: Secp256k1Keypair.import(K256_HEX),
      store: SqliteLabelStore.open(':memory:'),
    })
    const server = await serveLabeler(labeler)
    try {
      for (let i = 0; i < 4; i++)
        await labeler.issue({ uri: `did:plc:subject${String(i).padStart(17, 'a')}`, val: `v${i}` })
      const r = await run('subscribe', [server.url], {
        cursor: '0',
        limit: '3',
        labeler: DID,
        plc: plcUrl,
        timeout: '10',
      })
      expect(r.code).toBe(0)
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { seq: number; val: string })
      expect(lines.map((l) => [l.seq, l.val])).toEqual([
        [1, 'v0'],
        [2, 'v1'],
        [3, 'v2'],
      ])
    } finally {
      await server.close()
    }
  })

  it('says on stderr when a label waits for its labeler key, and stops on SIGINT', async () => {
    const unknown = 'did:plc:unknownunknownunknownun'
    const labeler = await Labeler.create({
      did: unknown,
      keypair: Secp256k1Keypair.import(K256_HEX),
      store: SqliteLabelStore.open(':memory:'),
    })
    const server = await serveLabeler(labeler)
    try {
      await labeler.issue({ uri: 'did:plc:subjectaaaaaaaaaaaaaaaa', val: 'v0' })
      const pending = run('subscribe', [server.url], { cursor: '0', labeler: unknown, plc: plcUrl })
      // the first try fails at once (the directory answers 404); then the command waits with backoff
      await new Promise((r) => setTimeout(r, 500))
      process.emit('SIGINT')
      const r = await pending
      expect(r.code).toBe(0)
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(/labeler key unavailable, retry in \d+ ms; seq=1 src=did:plc:unknown/)
    } finally {
      await server.close()
    }
  })
})
