// Key rotation mid-stream against a real PLC directory on loopback (@atproto/dev-env): the labeler's
// `#atproto_label` key changes in its DID document while our subscription is reading; labels signed
// with the new key verify after exactly one forced refresh, labels signed with the rotated-out key
// are rejected.
import * as atCrypto from '@atproto/crypto'
import { TestNetworkNoAppView } from '@atproto/dev-env'
import { Client as PlcClient } from '@did-plc/lib'
import { P256Keypair, Secp256k1Keypair } from '@rsky/crypto'
import { DidResolver } from '@rsky/identity'
import { signLabel } from '@rsky/label'
import { LabelSubscription } from '@rsky/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Labeler } from '../src/labeler.ts'
import { type LabelerServer, serveLabeler } from '../src/server.ts'
import { SqliteLabelStore } from '../src/store/sqlite.ts'
import { subject, until } from './helpers.ts'

let net: TestNetworkNoAppView
beforeAll(async () => {
  net = await TestNetworkNoAppView.create({})
})
afterAll(async () => {
  await net?.close()
})

describe('key rotation mid-stream on a loopback PLC directory', () => {
  it('new-key labels verify after one refresh; rotated-out-key labels are rejected', async () => {
    const plcUrl = net.plc.url.replace('localhost', '127.0.0.1')
    const plc = new PlcClient(plcUrl)
    const rotation = await atCrypto.Secp256k1Keypair.create()
    const key1 = Secp256k1Keypair.create()
    const key2 = P256Keypair.create() // the new key is on the other curve too
    const did = await plc.createDid({
      signingKey: key1.did(),
      handle: 'labeler.test',
      pds: 'https://pds.example.com',
      rotationKeys: [rotation.did()],
      signer: rotation,
    })
    const setLabelKey = (k: string) =>
      plc.updateData(did, rotation, (op) => ({
        ...op,
        verificationMethods: { ...op.verificationMethods, atproto_label: k },
        services: {
          ...op.services,
          atproto_labeler: { type: 'AtprotoLabeler', endpoint: 'https://mod.example.com' },
        },
      }))
    await setLabelKey(key1.did())

    const labeler = await Labeler.create({ did, keypair: key1, store: SqliteLabelStore.open(':memory:') })
    const server: LabelerServer = await serveLabeler(labeler)
    const real = new DidResolver({ plcUrl, timeoutMs: 5000 })
    const calls = { all: 0, forced: 0 }
    const resolver = {
      resolve(d: string, o?: { forceRefresh?: boolean }) {
        calls.all++
        if (o?.forceRefresh) calls.forced++
        return real.resolve(d, o)
      },
    }
    const valid: string[] = []
    const invalid: string[] = []
    const sub = new LabelSubscription({
      service: server.url.replace('http://', 'ws://'),
      labeler: did,
      resolver,
      cursor: 0,
      reconnect: { minDelayMs: 5, maxDelayMs: 30 },
      onEvent: (e) => {
        if (e.$type === '#labels') for (const l of e.labels) valid.push(`${e.seq}:${l.val}`)
      },
      onInvalidLabel: (i) => invalid.push(`${i.seq}:${i.reason}`),
    })
    try {
      await sub.start()
      for (let i = 0; i < 3; i++) await labeler.issue({ uri: subject(i), val: `before-${i}` })
      await until(() => valid.length === 3, 10_000, 'labels before the rotation')
      expect(calls).toEqual({ all: 1, forced: 0 })

      // rotate: the DID document names key2, the labeler signs with it from now on
      await setLabelKey(key2.did())
      labeler.setKeypair(key2)
      for (let i = 0; i < 3; i++) await labeler.issue({ uri: subject(i), val: `after-${i}` })
      await until(() => valid.length === 6, 10_000, 'labels after the rotation')
      expect(calls).toEqual({ all: 2, forced: 1 })

      // a label still signed with the rotated-out key (a stale signer, or a leaked key)
      await labeler.store.append([await signLabel({ src: did, uri: subject(9), val: 'stale' }, key1)])
      await labeler.issue({ uri: subject(9), val: 'after-3' })
      await until(() => valid.length === 7, 10_000, 'the last label')
      expect(valid).toEqual([
        '1:before-0',
        '2:before-1',
        '3:before-2',
        '4:after-0',
        '5:after-1',
        '6:after-2',
        '8:after-3',
      ])
      expect(invalid).toEqual(['7:BAD_SIGNATURE'])
      expect(calls.forced).toBe(1) // the stale label fell within the refresh cooldown: no extra fetch
      expect(sub.cursor).toBe(8)
    } finally {
      await sub.stop()
      await server.close()
      await labeler.store.close()
    }
  })
})
