import { abytes, bytesToBigInt, fromHexOrNull } from './bytes.ts'
import { type JwtAlg, PRIVATE_KEY_LENGTH } from './constants.ts'
import { checkPrivateKey, ORDER } from './curves.ts'
import { formatDidKey } from './did-key.ts'
import type { CryptoEngine, PrivateKeySigner } from './engine.ts'
import { InvalidPrivateKeyError, KeyNotExportableError } from './errors.ts'
import { type ByteEncoding, encodeBytes } from './multibase.ts'

/** What every signing key offers, whatever its curve. */
export interface Keypair {
  readonly jwtAlg: JwtAlg
  /** did:key of the public key. */
  did(): string
  /** Compressed (33-byte) public key. */
  publicKeyBytes(): Uint8Array
  /** 64-byte compact low-S ECDSA signature over sha256(data). */
  sign(data: Uint8Array): Promise<Uint8Array>
}

/** A keypair whose private key can be read back. */
export interface ExportableKeypair extends Keypair {
  /** The 32-byte private scalar. @throws {KeyNotExportableError} unless created exportable. */
  export(): Uint8Array
}

/** Options of `create` and `import`. */
export interface KeypairOptions {
  /** Keep the private key readable through `export()`. Default false. */
  readonly exportable?: boolean
}

/** A fresh random private scalar in [1, n-1] from the engine's CSPRNG. */
export function randomPrivateKey(engine: CryptoEngine, alg: JwtAlg): Uint8Array {
  for (;;) {
    const candidate = engine.randomBytes(PRIVATE_KEY_LENGTH)
    const d = bytesToBigInt(candidate)
    if (d !== 0n && d < ORDER[alg]) return candidate
  }
}

/** Private key bytes from bytes or hex; copies so later changes by the caller do not leak in. */
export function privateKeyBytes(alg: JwtAlg, privKey: Uint8Array | string): Uint8Array {
  if (typeof privKey === 'string') {
    const bytes = fromHexOrNull(privKey)
    if (bytes === null) throw new InvalidPrivateKeyError(alg, privKey.length, 'not a hex string')
    privKey = bytes
  } else {
    abytes(privKey, 'privKey')
    privKey = privKey.slice()
  }
  checkPrivateKey(alg, privKey)
  return privKey
}

/**
 * A secp256k1 or P-256 keypair bound to one backend. The per-curve classes
 * (`Secp256k1Keypair`, `P256Keypair`) add `create` and `import`.
 */
export class EcKeypair implements ExportableKeypair {
  readonly jwtAlg: JwtAlg
  readonly #signer: PrivateKeySigner
  readonly #exported: Uint8Array | null
  #did: string | undefined

  /**
   * Prefer the per-curve `create` / `import`.
   * @throws {InvalidPrivateKeyError} when `privKey` is not a 32-byte scalar in [1, n-1].
   */
  constructor(engine: CryptoEngine, jwtAlg: JwtAlg, privKey: Uint8Array | string, opts?: KeypairOptions) {
    const priv = privateKeyBytes(jwtAlg, privKey)
    this.jwtAlg = jwtAlg
    this.#signer = engine.importPrivateKey(jwtAlg, priv)
    this.#exported = opts?.exportable === true ? priv : null
  }

  /** did:key of the public key (computed once). */
  did(): string {
    this.#did ??= formatDidKey(this.jwtAlg, this.#signer.publicKey)
    return this.#did
  }

  /** Compressed (33-byte) public key (a copy). */
  publicKeyBytes(): Uint8Array {
    return this.#signer.publicKey.slice()
  }

  /** The compressed public key as text (default base64pad, as `@atproto/crypto` does). */
  publicKeyStr(encoding: ByteEncoding = 'base64pad'): string {
    return encodeBytes(this.#signer.publicKey, encoding)
  }

  /** 64-byte compact low-S deterministic (RFC 6979) signature over sha256(data). */
  sign(data: Uint8Array): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.signSync(data))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Synchronous `sign`.
   * @throws {TypeError} when `data` is not a Uint8Array.
   */
  signSync(data: Uint8Array): Uint8Array {
    abytes(data, 'data')
    return this.#signer.signData(data)
  }

  /**
   * Signature over a digest the caller already computed (32 bytes, normally sha256(data)).
   * @throws {RangeError} when `digest` is not 32 bytes.
   */
  signDigest(digest: Uint8Array): Uint8Array {
    abytes(digest, 'digest', 32)
    return this.#signer.signDigest(digest)
  }

  /**
   * The 32-byte private key (a copy).
   * @throws {KeyNotExportableError} unless the keypair was created or imported with `exportable: true`.
   */
  export(): Uint8Array {
    if (this.#exported === null) throw new KeyNotExportableError()
    return this.#exported.slice()
  }
}
