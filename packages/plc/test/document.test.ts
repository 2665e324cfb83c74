// DID documents: the Multikey form plc.directory serves (the spec's presentation example), read back
// by @rsky/identity and @atproto/identity; the legacy form is covered by the differential test.
import { getDidKeyFromMultibase } from '@atproto/identity'
import { describe, expect, it } from 'vitest'
// @rsky/identity is not a dependency of this package: imported by path for the read-back check
import { getAtprotoData } from '../../identity/src/index.ts'
import { type DocumentData, formatDidDocument } from '../src/index.ts'
import { KEYS } from './fixtures.ts'

describe('formatDidDocument', () => {
  it("renders the spec's presentation example", () => {
    const data: DocumentData = {
      did: 'did:plc:7iza6de2dwap2sbkpav7c6c6',
      verificationMethods: { atproto: 'did:key:zDnaeh9v2RmcMo13Du2d6pjUf5bZwtauYxj3n9dYjw4EZUAR7' },
      rotationKeys: [
        'did:key:zDnaedvvAsDE6H3BDdBejpx9ve2Tz95cymyCAKF66JbyMh1Lt',
        'did:key:zDnaeh9v2RmcMo13Du2d6pjUf5bZwtauYxj3n9dYjw4EZUAR7',
      ],
      alsoKnownAs: ['at://alice.test'],
      services: { atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://example.test' } },
    }
    expect(formatDidDocument(data)).toEqual({
      '@context': [
        'https://www.w3.org/ns/did/v1',
        'https://w3id.org/security/multikey/v1',
        'https://w3id.org/security/suites/ecdsa-2019/v1',
      ],
      id: 'did:plc:7iza6de2dwap2sbkpav7c6c6',
      alsoKnownAs: ['at://alice.test'],
      verificationMethod: [
        {
          id: '#atproto',
          type: 'Multikey',
          controller: 'did:plc:7iza6de2dwap2sbkpav7c6c6',
          publicKeyMultibase: 'zDnaeh9v2RmcMo13Du2d6pjUf5bZwtauYxj3n9dYjw4EZUAR7',
        },
      ],
      service: [
        { id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://example.test' },
      ],
    })
  })

  it('both forms read back to the same signing key, handle and PDS', () => {
    for (const key of [KEYS[0]!, KEYS[7]!]) {
      const data: DocumentData = {
        did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz',
        verificationMethods: { atproto: key.did(), other: KEYS[8]!.did() },
        rotationKeys: [KEYS[1]!.did()],
        alsoKnownAs: ['at://bob.test', 'https://bob.example'],
        services: {
          atproto_pds: { type: 'AtprotoPersonalDataServer', endpoint: 'https://pds.test' },
          atproto_labeler: { type: 'AtprotoLabeler', endpoint: 'https://labels.test' },
        },
      }
      for (const keyFormat of ['multikey', 'legacy'] as const) {
        const doc = formatDidDocument(data, { keyFormat })
        const ours = getAtprotoData(JSON.parse(JSON.stringify(doc)))
        expect({ ...ours }).toMatchObject({
          did: data.did,
          handle: 'bob.test',
          signingKey: key.did(),
          pds: 'https://pds.test',
        })
        const vm = doc.verificationMethod[0]!
        expect(getDidKeyFromMultibase({ type: vm.type, publicKeyMultibase: vm.publicKeyMultibase })).toBe(
          key.did(),
        )
        expect(doc.service.map((s) => s.id)).toEqual(['#atproto_pds', '#atproto_labeler'])
      }
    }
  })

  it('the legacy form refuses a key it cannot render; Multikey passes any did:key through', () => {
    const ed25519 = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'
    const data: DocumentData = {
      did: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz',
      verificationMethods: { x: ed25519 },
      rotationKeys: [],
      alsoKnownAs: [],
      services: {},
    }
    expect(formatDidDocument(data).verificationMethod[0]?.publicKeyMultibase).toBe(
      ed25519.slice('did:key:'.length),
    )
    expect(formatDidDocument(data)['@context']).toEqual([
      'https://www.w3.org/ns/did/v1',
      'https://w3id.org/security/multikey/v1',
    ])
    expect(() => formatDidDocument(data, { keyFormat: 'legacy' })).toThrow(TypeError)
  })
})
