import { hkdfSha256Expand, hmacSha256, type Keypair, randomBytes, verifySignature } from '@rsky/crypto'
import type { LexValue } from '@rsky/dag-cbor'
import { timingSafeEqual, utf8 } from './bytes.ts'

/** The commit format version this package reads and writes. */
export const COMMIT_VERSION = 1
/** The protocol tag that opens every commit ctx. */
export const COMMIT_CTX_TAG = 'atproto-space-v1'
/** Byte length of `hash`, `ikm` and `mac` in a signed commit. */
export const COMMIT_FIELD_BYTES = 32

const TAG_BYTES = utf8(COMMIT_CTX_TAG)
const MAX_FIELD = 0xffff

/** What a commit is bound to: the space URI, the author's DID and the revision (a TID). */
export interface CommitCtx {
  readonly space: string
  readonly author: string
  readonly rev: string
}

/** `com.atproto.space.defs#signedCommit`, as stored in the commit block of a space CAR. */
export interface SignedCommit {
  readonly ver: number
  /** sha256 of the LtHash state (32 bytes). */
  readonly hash: Uint8Array
  /** Per-reader random key material (32 bytes). */
  readonly ikm: Uint8Array
  /** The author's signature over the ctx (compact, low-S). */
  readonly sig: Uint8Array
  /** HMAC-SHA256(HKDF-Expand-SHA256(ikm, ctx, 32), hash). */
  readonly mac: Uint8Array
  readonly rev: string
}

/**
 * Encodes the commit ctx: the tag `atproto-space-v1`, then space URI, author DID, rev and ikm,
 * each prefixed by its length as a big-endian u16.
 * @throws {RangeError} when a field is longer than 0xffff bytes (rsky truncates the prefix instead)
 * @example
 * ```ts
 * const ctxBytes = encodeCommitCtx({ space, author, rev }, ikm)
 * ```
 */
export function encodeCommitCtx(ctx: CommitCtx, ikm: Uint8Array): Uint8Array {
  if (!(ikm instanceof Uint8Array)) throw new TypeError('ikm must be a Uint8Array')
  const fields = [utf8(ctx.space), utf8(ctx.author), utf8(ctx.rev), ikm]
  const names = ['space', 'author', 'rev', 'ikm']
  let size = TAG_BYTES.length
  for (let i = 0; i < fields.length; i++) {
    const len = fields[i]!.length
    if (len > MAX_FIELD) {
      throw new RangeError(`commit ctx field exceeds the u16 length prefix; field=${names[i]} length=${len}`)
    }
    size += 2 + len
  }
  const out = new Uint8Array(size)
  out.set(TAG_BYTES)
  let o = TAG_BYTES.length
  for (const field of fields) {
    out[o++] = field.length >>> 8
    out[o++] = field.length & 0xff
    out.set(field, o)
    o += field.length
  }
  return out
}

/**
 * `HMAC-SHA256(key = HKDF-Expand-SHA256(prk = ikm, info = ctx, 32), msg = hash)`. The HKDF step
 * is expand-only: `ikm` is already uniformly random, and an extract step would give a MAC no
 * other implementation reproduces.
 */
export function computeCommitMac(ikm: Uint8Array, ctxBytes: Uint8Array, hash: Uint8Array): Uint8Array {
  return hmacSha256(hkdfSha256Expand(ikm, ctxBytes, 32), hash)
}

/** Recomputes the MAC and compares it in constant time. */
export function verifyCommitMac(opts: {
  ikm: Uint8Array
  ctxBytes: Uint8Array
  hash: Uint8Array
  mac: Uint8Array
}): boolean {
  return timingSafeEqual(computeCommitMac(opts.ikm, opts.ctxBytes, opts.hash), opts.mac)
}

/**
 * Signs a commit over `hash` for one reader: fresh `ikm` (unless given), `sig` over the ctx,
 * `mac` binding the hash to the ctx. The signature never covers the hash, so a leaked commit
 * proves nothing about the repo's contents.
 * @throws {RangeError} when a ctx field is too long or `hash` is not 32 bytes
 */
export async function signCommit(opts: {
  ctx: CommitCtx
  hash: Uint8Array
  keypair: Keypair
  /** Injected key material for reproducible tests; defaults to 32 random bytes. */
  ikm?: Uint8Array
}): Promise<SignedCommit> {
  const { ctx, hash, keypair } = opts
  if (!(hash instanceof Uint8Array) || hash.length !== COMMIT_FIELD_BYTES) {
    throw new RangeError(`commit hash must be ${COMMIT_FIELD_BYTES} bytes`)
  }
  const ikm = opts.ikm ?? randomBytes(COMMIT_FIELD_BYTES)
  const ctxBytes = encodeCommitCtx(ctx, ikm)
  const sig = await keypair.sign(ctxBytes)
  return {
    ver: COMMIT_VERSION,
    hash: hash.slice(),
    ikm: ikm.slice(),
    sig,
    mac: computeCommitMac(ikm, ctxBytes, hash),
    rev: ctx.rev,
  }
}

/** Why a commit failed verification. */
export type CommitIssueCode =
  | 'UnsupportedVersion'
  | 'RevMismatch'
  | 'BadCtx'
  | 'BadMac'
  | 'BadSignature'
  | 'BadKey'

/** Result of {@link checkCommit}. */
export type CommitCheck =
  | { success: true; value: SignedCommit }
  | { success: false; issues: { code: CommitIssueCode; path: string[]; message: string }[] }

const fail = (code: CommitIssueCode, path: string, message: string): CommitCheck => ({
  success: false,
  issues: [{ code, path: path ? [path] : [], message }],
})

/**
 * Verifies a signed commit for `ctx`: `ver` is 1, `rev` matches, the MAC matches (constant
 * time), and `sig` verifies over the ctx with the author's key (secp256k1 or P-256).
 */
export function checkCommit(commit: SignedCommit, ctx: CommitCtx, didKey: string): CommitCheck {
  if (commit.ver !== COMMIT_VERSION)
    return fail('UnsupportedVersion', 'ver', `unsupported commit version; ver=${commit.ver}`)
  if (commit.rev !== ctx.rev)
    return fail('RevMismatch', 'rev', `commit rev does not match the ctx; rev=${commit.rev}`)
  let ctxBytes: Uint8Array
  try {
    ctxBytes = encodeCommitCtx(ctx, commit.ikm)
  } catch (err) {
    return fail('BadCtx', 'ikm', err instanceof Error ? err.message : String(err))
  }
  if (!verifyCommitMac({ ikm: commit.ikm, ctxBytes, hash: commit.hash, mac: commit.mac })) {
    return fail('BadMac', 'mac', 'commit MAC does not match its hash and ctx')
  }
  let ok: boolean
  try {
    ok = verifySignature(didKey, ctxBytes, commit.sig)
  } catch (err) {
    return fail(
      'BadKey',
      '',
      `could not use the author key; ${err instanceof Error ? err.message : String(err)}`,
    )
  }
  if (!ok) return fail('BadSignature', 'sig', 'commit signature does not verify against the author key')
  return { success: true, value: commit }
}

/**
 * True when {@link checkCommit} passes. Once true, `commit.hash` is the author's claim about
 * the repo's contents, and comparing it with a locally folded LtHash is meaningful.
 */
export function verifyCommit(commit: SignedCommit, ctx: CommitCtx, didKey: string): boolean {
  return checkCommit(commit, ctx, didKey).success
}

const isBytes = (v: unknown, len?: number): v is Uint8Array =>
  v instanceof Uint8Array && (len === undefined || v.length === len)

/**
 * Reads a decoded commit block into a {@link SignedCommit}, checking every field's type and the
 * 32-byte lengths of `hash`, `ikm` and `mac`. Unknown fields are ignored (forward compatible);
 * `ver` is checked by {@link checkCommit}, not here.
 */
export function parseSignedCommit(
  value: LexValue,
):
  | { success: true; value: SignedCommit }
  | { success: false; issues: { code: string; path: string[]; message: string }[] } {
  const issues: { code: string; path: string[]; message: string }[] = []
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    return { success: false, issues: [{ code: 'InvalidType', path: [], message: 'commit must be a map' }] }
  }
  const v = value as { [k: string]: LexValue }
  const own = (k: string): LexValue | undefined => (Object.hasOwn(v, k) ? v[k] : undefined)
  const ver = own('ver')
  if (typeof ver !== 'number' || !Number.isSafeInteger(ver)) {
    issues.push({ code: 'InvalidType', path: ['ver'], message: 'ver must be an integer' })
  }
  for (const k of ['hash', 'ikm', 'mac'] as const) {
    if (!isBytes(own(k), COMMIT_FIELD_BYTES)) {
      issues.push({ code: 'InvalidType', path: [k], message: `${k} must be ${COMMIT_FIELD_BYTES} bytes` })
    }
  }
  const sig = own('sig')
  if (!isBytes(sig) || sig.length === 0 || sig.length > 256) {
    issues.push({ code: 'InvalidType', path: ['sig'], message: 'sig must be 1-256 bytes' })
  }
  const rev = own('rev')
  if (typeof rev !== 'string' || rev.length === 0) {
    issues.push({ code: 'InvalidType', path: ['rev'], message: 'rev must be a non-empty string' })
  }
  if (issues.length > 0) return { success: false, issues }
  return {
    success: true,
    value: {
      ver: ver as number,
      hash: own('hash') as Uint8Array,
      ikm: own('ikm') as Uint8Array,
      sig: sig as Uint8Array,
      mac: own('mac') as Uint8Array,
      rev: rev as string,
    },
  }
}

/** The commit as a DAG-CBOR-encodable map (field set fixed by the lexicon). */
export function signedCommitToLex(commit: SignedCommit): { [k: string]: LexValue } {
  return {
    ver: commit.ver,
    hash: commit.hash,
    ikm: commit.ikm,
    sig: commit.sig,
    mac: commit.mac,
    rev: commit.rev,
  }
}
