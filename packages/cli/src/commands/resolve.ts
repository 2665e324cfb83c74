import { didKeyFromVerificationMethod } from '@rsky/crypto'
import { type DidDocument, getAtprotoData } from '@rsky/identity'
import type { Command } from '../command.ts'
import { EXIT_OK } from '../errors.ts'
import { keyValueLines } from '../output.ts'
import { NET_OPTION_HELP, NET_OPTIONS, netOf, resolveIdentity } from './net.ts'

/** Every verification method of the document as a did:key (null for one that is not a usable key). */
function keysOf(doc: DidDocument): Array<{ id: string; didKey: string | null }> {
  return (doc.verificationMethod ?? []).map((m) => {
    let didKey: string | null = null
    try {
      if (m.publicKeyMultibase !== undefined) {
        didKey = didKeyFromVerificationMethod({ type: m.type, publicKeyMultibase: m.publicKeyMultibase })
      }
    } catch {
      // Another key type (Ed25519, JWK, ...): listed without a did:key.
    }
    return { id: m.id, didKey }
  })
}

const resolve: Command = {
  path: ['resolve'],
  help: {
    options: NET_OPTION_HELP,
    notes: [
      'A handle is resolved to a DID (DNS TXT _atproto.HANDLE, https://HANDLE/.well-known/atproto-did, then the resolveHandle of the PDS given with --pds), the DID document is fetched (PLC directory or did:web) and must claim the handle. For a DID, the claimed handle is resolved back and shown as verified only when it leads to the same DID.',
      '.test handles (development networks such as @atproto/dev-env) are resolved only through --pds.',
    ],
    invalid:
      'the handle resolves to no DID or to a DID whose document claims another handle, the DID does not exist, or its document is invalid',
  },
  usage: 'HANDLE|DID [--plc URL] [--pds URL] [--timeout SECONDS] [--json]',
  summary: 'an account: DID document, handle verified both ways, PDS and signing key',
  options: { ...NET_OPTIONS },
  arity: [1, 1],
  async run({ positionals, values, out }) {
    const net = netOf(values)
    const id = await resolveIdentity(net, positionals[0]!)
    const data = (() => {
      try {
        return getAtprotoData(id.document)
      } catch {
        return undefined
      }
    })()
    out.result({
      valid: true,
      did: id.did,
      handle: id.handle ?? null,
      handleVerified: id.handle !== undefined,
      claimedHandle: id.claimedHandle ?? null,
      handleMethod: id.handleMethod,
      pds: id.pds ?? null,
      signingKey: id.signingKey ?? data?.signingKey ?? null,
      keys: keysOf(id.document),
      document: id.document,
    })
    for (const line of keyValueLines([
      ['did', id.did],
      [
        'handle',
        id.handle !== undefined
          ? `${id.handle} (verified both ways${id.handleMethod === 'pds' ? ', via the --pds resolveHandle' : ''})`
          : `${id.claimedHandle ?? '(none)'} (NOT verified: it does not resolve back to the DID)`,
      ],
      ['pds', id.pds ?? '(none)'],
      ['signing key', id.signingKey ?? '(none)'],
      ...keysOf(id.document)
        .filter((k) => k.didKey !== id.signingKey)
        .map((k): [string, string] => [`key ${k.id}`, k.didKey ?? '(not a secp256k1 or P-256 key)']),
    ]))
      out.line(line)
    out.line()
    out.line(JSON.stringify(id.document, null, 2))
    return EXIT_OK
  },
}

export const resolveCommands: Command[] = [resolve]
