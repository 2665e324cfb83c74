// Signing: a validated label, `ver` 1, `neg` only when true, signed over its canonical bytes.
import type { Keypair } from '@rsky/crypto'
import { labelSigningBytes } from './codec.ts'
import type { Label, LabelInput, SignedLabel } from './types.ts'
import { ensureValidLabel } from './validate.ts'

/**
 * The label as it will be signed: validated, `ver` 1, `cts` now when missing, and `neg` dropped
 * unless true (the spec's advice, and what the reference labeler does).
 * @throws {InvalidLabelError} when a field is invalid.
 */
export function normalizeLabel(input: LabelInput): Label {
  const draft: Record<string, unknown> = {
    ver: 1,
    src: input.src,
    uri: input.uri,
    val: input.val,
    cts: input.cts ?? new Date().toISOString(),
  }
  if (input.cid !== undefined) draft.cid = input.cid
  if (input.neg === true) draft.neg = true
  if (input.exp !== undefined) draft.exp = input.exp
  return ensureValidLabel(draft, { rejectUnknownFields: true })
}

/**
 * Signs a label with the labeler's `#atproto_label` keypair (secp256k1 or P-256).
 * @throws {InvalidLabelError} when a field is invalid.
 * @example const signed = await signLabel({ src: labelerDid, uri, val: 'spam' }, keypair)
 */
export async function signLabel(input: LabelInput, keypair: Keypair): Promise<SignedLabel> {
  if (typeof keypair?.sign !== 'function') throw new TypeError('signLabel: keypair must have a sign method')
  const label = normalizeLabel(input)
  const sig = await keypair.sign(labelSigningBytes(label))
  return { ...label, sig }
}
