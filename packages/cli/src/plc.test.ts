// `rsky plc …` in-process: offline commands on files, then against a loopback PLC directory.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TestNetworkNoAppView } from '@atproto/dev-env'
import { Secp256k1Keypair, sha256 } from '@rsky/crypto'
import { buildUpdate, signOperation } from '@rsky/plc'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { entry, KEYS, linearLog, T0 } from '../../plc/test/fixtures.ts'
import { main } from './main.ts'

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
  })
  return { code, stdout, stderr }
}

const dir = mkdtempSync(join(tmpdir(), 'rsky-plc-'))
const file = (name: string, value: unknown): string => {
  const path = join(dir, name)
  writeFileSync(path, JSON.stringify(value))
  return path
}
const hex = (k: Secp256k1Keypair) => Buffer.from(k.export()).toString('hex')
// KEYS are imported without `exportable`; re-import the same seeds exportable for the CLI
const seed = (label: string) => sha256(new TextEncoder().encode(`rsky-plc-test ${label}`))
const k0 = Secp256k1Keypair.import(seed('k256-0'), { exportable: true })
const k1 = Secp256k1Keypair.import(seed('k256-1'), { exportable: true })

describe('rsky plc (offline)', () => {
  it('genesis, did and sign agree on the DID', async () => {
    const g = await run(
      'plc',
      'genesis',
      '--key',
      hex(k0),
      '--rotation-key',
      k0.did(),
      '--rotation-key',
      k1.did(),
      '--handle',
      'cli.test',
      '--pds',
      'https://pds.cli.test',
      '--json',
    )
    expect(g.code).toBe(0)
    const built = JSON.parse(g.stdout)
    expect(built.did).toMatch(/^did:plc:[a-z2-7]{24}$/)
    const d = await run('plc', 'did', file('genesis.json', built.operation), '--json')
    expect(JSON.parse(d.stdout)).toEqual({ valid: true, did: built.did, cid: built.cid })
    const { sig: _sig, ...unsigned } = built.operation
    const s = await run('plc', 'sign', file('unsigned.json', unsigned), '--key', hex(k0), '--json')
    expect(JSON.parse(s.stdout).did).toBe(built.did) // deterministic signatures
  })

  it('audit FILE: exit 0 when valid, 1 with the rule and operation when not', async () => {
    const { did, log } = await linearLog(2)
    const ok = await run('plc', 'audit', file('log.json', log))
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('valid')
    const tampered = [log[0], log[2]]
    const bad = await run('plc', 'audit', file('bad.json', tampered), '--json')
    expect(bad.code).toBe(1)
    expect(JSON.parse(bad.stdout)).toMatchObject({ valid: false, did, rule: 'PREV_UNKNOWN', index: 1 })
    const forged = await signOperation(buildUpdate(log[1]!.operation, { handle: 'x.test' }), KEYS[5]!)
    const r = await run(
      'plc',
      'audit',
      file('forged.json', [...log.slice(0, 2), entry(did, forged, T0 + 9e6)]),
      '--json',
    )
    expect(JSON.parse(r.stdout)).toMatchObject({ rule: 'SIGNATURE_INVALID', index: 2 })
  })

  it('usage errors exit 2', async () => {
    expect((await run('plc', 'genesis')).code).toBe(2)
    expect((await run('plc', 'audit', join(dir, 'missing.json'))).code).toBe(2)
    expect((await run('plc', 'audit', 'did:web:example.com')).code).toBe(2)
  })
})

describe('rsky plc (loopback directory)', () => {
  let net: TestNetworkNoAppView
  let plc: string
  beforeAll(async () => {
    net = await TestNetworkNoAppView.create({})
    plc = net.plc.url
  })
  afterAll(async () => {
    await net?.close()
  })

  it('submit, audit, history, update --dry-run, update, and a refused operation', async () => {
    const g = JSON.parse(
      (
        await run(
          'plc',
          'genesis',
          '--key',
          hex(k1),
          '--rotation-key',
          k0.did(),
          '--rotation-key',
          k1.did(),
          '--signing-key',
          KEYS[9]!.did(),
          '--handle',
          'move.test',
          '--pds',
          'https://old.test',
          '--json',
        )
      ).stdout,
    )
    const sub = await run('plc', 'submit', file('g.json', g.operation), '--plc', plc, '--json')
    expect(sub.code, sub.stderr).toBe(0)
    expect(JSON.parse(sub.stdout)).toMatchObject({ valid: true, did: g.did, submitted: true })

    expect((await run('plc', 'audit', g.did, '--plc', plc)).code).toBe(0)

    const dry = await run(
      'plc',
      'update',
      g.did,
      '--key',
      hex(k1),
      '--pds',
      'https://new.test',
      '--signing-key',
      KEYS[8]!.did(),
      '--plc',
      plc,
      '--dry-run',
      '--json',
    )
    expect(dry.code, dry.stderr).toBe(0)
    const plan = JSON.parse(dry.stdout)
    expect(plan.submitted).toBe(false)
    expect(plan.document.service[0].serviceEndpoint).toBe('https://new.test')
    expect(plan.before.services.atproto_pds.endpoint).toBe('https://old.test')

    const moved = await run(
      'plc',
      'update',
      g.did,
      '--key',
      hex(k1),
      '--pds',
      'https://new.test',
      '--signing-key',
      KEYS[8]!.did(),
      '--plc',
      plc,
      '--json',
    )
    expect(JSON.parse(moved.stdout).submitted).toBe(true)
    const audited = JSON.parse((await run('plc', 'audit', g.did, '--plc', plc, '--json')).stdout)
    expect(audited).toMatchObject({ valid: true, operations: 2 })
    expect(audited.data.services.atproto_pds.endpoint).toBe('https://new.test')

    const hist = await run('plc', 'history', g.did, '--plc', plc)
    expect(hist.code).toBe(0)
    expect(hist.stdout).toContain('at://move.test at https://new.test')

    const rogue = await signOperation(buildUpdate(g.operation, { handle: 'rogue.test' }), KEYS[4]!)
    const refused = await run(
      'plc',
      'submit',
      file('rogue.json', { ...rogue, prev: audited.head }),
      '--did',
      g.did,
      '--plc',
      plc,
      '--json',
    )
    expect(refused.code).toBe(1)
    expect(JSON.parse(refused.stdout)).toMatchObject({ valid: false, rule: 'SIGNATURE_INVALID' })
  })
})
