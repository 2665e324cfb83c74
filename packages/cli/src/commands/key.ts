import {
  formatDidKey,
  formatMultikey,
  P256Keypair,
  type ParsedDidKey,
  parseDidKey,
  parseMultikey,
  Secp256k1Keypair,
} from '@rsky/crypto'
import type { Command } from '../command.ts'
import { EXIT_OK, UsageError } from '../errors.ts'
import { keyValueLines } from '../output.ts'

const CURVES = { k256: 'ES256K', p256: 'ES256' } as const

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const curveOf = (alg: string): string => (alg === 'ES256K' ? 'k256 (secp256k1)' : 'p256 (NIST P-256)')

function publicFields(k: ParsedDidKey) {
  return {
    didKey: formatDidKey(k.jwtAlg, k.keyBytes),
    multikey: formatMultikey(k.jwtAlg, k.keyBytes),
    jwtAlg: k.jwtAlg,
    curve: k.jwtAlg === 'ES256K' ? 'k256' : 'p256',
    publicKeyHex: hex(k.keyBytes),
  }
}

const generate: Command = {
  path: ['key', 'generate'],
  help: {
    options: [['--curve k256|p256', 'secp256k1 (k256, the default, as PDS repo keys) or NIST P-256 (p256)']],
    notes: [
      'Prints the private key as hex (keep it secret: stdout is the only copy), the public key as did:key and as multikey (the form DID documents use).',
    ],
    invalid: 'never',
  },
  usage: '[--curve k256|p256] [--json]',
  summary: 'a new signing keypair: private key (hex), did:key and multikey',
  options: { curve: { type: 'string' } },
  arity: [0, 0],
  async run({ values, out }) {
    const curve = (values['curve'] as string | undefined) ?? 'k256'
    if (!(curve in CURVES)) throw new UsageError(`--curve must be k256 or p256; curve=${curve}`)
    const kp =
      curve === 'p256'
        ? P256Keypair.create({ exportable: true })
        : Secp256k1Keypair.create({ exportable: true })
    const fields = { ...publicFields(parseDidKey(kp.did())), privateKeyHex: hex(kp.export()) }
    out.result({ valid: true, ...fields })
    for (const line of keyValueLines([
      ['curve', curveOf(fields.jwtAlg)],
      ['private key', `${fields.privateKeyHex} (hex; keep it secret)`],
      ['did:key', fields.didKey],
      ['multikey', fields.multikey],
    ]))
      out.line(line)
    return EXIT_OK
  },
}

const inspect: Command = {
  path: ['key', 'inspect'],
  help: {
    options: [],
    notes: [
      'Takes did:key:z... or a bare multikey z...; prints the curve, JWT algorithm, both forms of the key and the compressed public key.',
    ],
    invalid: 'the value is not a did:key or multikey of a supported curve, or its point is not on the curve',
  },
  usage: 'DIDKEY|MULTIKEY [--json]',
  summary: 'the curve and public key of a did:key or multikey (the point is checked to be on the curve)',
  arity: [1, 1],
  async run({ positionals, out }) {
    const value = positionals[0]!
    const parsed = value.startsWith('did:') ? parseDidKey(value) : parseMultikey(value)
    const fields = publicFields(parsed)
    out.result({ valid: true, ...fields })
    for (const line of keyValueLines([
      ['curve', curveOf(fields.jwtAlg)],
      ['jwt alg', fields.jwtAlg],
      ['did:key', fields.didKey],
      ['multikey', fields.multikey],
      ['public key', `${fields.publicKeyHex} (compressed, hex)`],
    ]))
      out.line(line)
    return EXIT_OK
  },
}

export const keyCommands: Command[] = [generate, inspect]
