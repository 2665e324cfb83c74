// The built package on the machine's own Node (20.19+; the tests run on 24): both dist entries sign
// byte-identically, verify each other, enforce low-S, pass the interop signature fixtures and parse
// did:keys (native point check vs @noble) to the same keys and errors.
// Runs once the package is built (`pnpm build`; CI builds first).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { readInteropJson } from '@rsky/test-vectors'
import { describe, expect, it } from 'vitest'

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../dist')
const built = existsSync(join(dist, 'index.node.js')) && existsSync(join(dist, 'index.js'))
const hostNode = process.env['RSKY_HOST_NODE'] ?? process.execPath

// Runs in the host Node; reads the fixtures from stdin, prints a JSON summary.
const script = (nodeUrl: string, browserUrl: string) => `
const node = await import(${JSON.stringify(nodeUrl)})
const browser = await import(${JSON.stringify(browserUrl)})
const fixtures = JSON.parse(require('node:fs').readFileSync(0, 'utf8'))
const b64 = (s) => new Uint8Array(Buffer.from(s, 'base64'))
const hex = (b) => Buffer.from(b).toString('hex')
const out = { version: process.version, signed: 0, mismatches: [], fixtures: 0, parsed: 0 }
for (const K of ['Secp256k1Keypair', 'P256Keypair']) {
  for (let i = 1; i <= 20; i++) {
    const priv = node.sha256(Uint8Array.of(i, K.length))
    const n = node[K].import(priv)
    const b = browser[K].import(priv)
    const data = new Uint8Array(i * 13).fill(i)
    const sig = n.signSync(data)
    const ok = n.did() === b.did() && hex(sig) === hex(b.signSync(data)) && !node.isHighS(n.jwtAlg, sig) &&
      node.verifySignature(b.did(), data, sig) && browser.verifySignature(n.did(), data, sig) &&
      hex(node.sha256(data)) === hex(browser.sha256(data))
    if (!ok) out.mismatches.push(K + ' ' + i)
    out.signed++
  }
}
for (const f of fixtures) {
  const msg = b64(f.messageBase64), sig = b64(f.signatureBase64)
  for (const c of [node, browser]) {
    if (c.verifySignature(f.publicKeyDid, msg, sig) !== f.validSignature) out.mismatches.push(f.comment)
    if (c.verifySignature(f.publicKeyDid, msg, sig, { allowMalleableSig: true }) !== true) out.mismatches.push(f.comment)
  }
  out.fixtures++
}
// did:key parsing: native point check (node) and @noble (browser) give the same key or error.
const parse = (c, did) => { try { const r = c.parseDidKey(did); return r.jwtAlg + hex(r.keyBytes) } catch (e) { return e.name + e.issue + e.message } }
const flip = (did, at) => did.slice(0, at) + (did[at] === '2' ? '3' : '2') + did.slice(at + 1)
for (const f of fixtures) {
  for (const did of [f.publicKeyDid, flip(f.publicKeyDid, 20), flip(f.publicKeyDid, 40), f.publicKeyDid.slice(0, 30)]) {
    if (parse(node, did) !== parse(browser, did)) out.mismatches.push('parse ' + did)
    out.parsed++
  }
}
console.log(JSON.stringify(out))
`

describe.runIf(built)('built @rsky/crypto on the machine Node', () => {
  it('both dist entries agree, verify each other and pass the signature fixtures', () => {
    const fixtures = readInteropJson<unknown[]>('atproto-interop-tests', 'crypto/signature-fixtures.json')
    const code = script(
      pathToFileURL(join(dist, 'index.node.js')).href,
      pathToFileURL(join(dist, 'index.js')).href,
    )
    const r = spawnSync(hostNode, ['--input-type=commonjs', '-e', `(async () => {${code}})()`], {
      input: JSON.stringify(fixtures),
      encoding: 'utf8',
    })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const out = JSON.parse(r.stdout) as {
      version: string
      signed: number
      mismatches: string[]
      fixtures: number
      parsed: number
    }
    expect(out.version).toBe(spawnSync(hostNode, ['--version'], { encoding: 'utf8' }).stdout.trim())
    expect(out.mismatches).toEqual([])
    expect(out.signed).toBe(40)
    expect(out.fixtures).toBe(fixtures.length)
    expect(out.parsed).toBe(fixtures.length * 4)
  })
})
