// @rsky/label: AT Protocol labels (`com.atproto.label.defs#label` v1): validation, canonical signing
// bytes, CBOR and JSON forms, signing on either curve, verification against a key or the labeler's
// resolved `#atproto_label` key (refetched once on failure, for rotation), self-labels, label state.
export {
  DEFAULT_MAX_LABEL_BYTES,
  type DecodeLabelOptions,
  decodeLabel,
  encodeLabel,
  labelFromJson,
  labelSigningBytes,
  labelToJson,
  labelToLex,
  unsignedLabelMap,
} from './codec.ts'
export {
  InvalidLabelError,
  LabelDecodeError,
  LabelError,
  type LabelIssue,
  type LabelIssueCode,
} from './errors.ts'
export { MAX_SELF_LABELS, readSelfLabels, SELF_LABELS_TYPE, type SelfLabelsResult } from './self-labels.ts'
export { normalizeLabel, signLabel } from './sign.ts'
export { type CurrentLabelsOptions, LabelState, type LabelStateOptions } from './state.ts'
export {
  LABEL_FIELDS,
  LABEL_SIG_LENGTH,
  type Label,
  type LabelInput,
  MAX_LABEL_VAL_BYTES,
  type SignedLabel,
} from './types.ts'
export {
  ensureValidLabel,
  type LabelValidation,
  utf8Length,
  type ValidateLabelOptions,
  validateLabel,
} from './validate.ts'
export {
  type LabelFailure,
  type LabelKeyResolver,
  type LabelVerdict,
  LabelVerifier,
  type LabelVerifierOptions,
  labelSignatureMatches,
  type VerifyLabelOptions,
  verifyLabelWithKey,
} from './verify.ts'
