// @rsky/space: AT Protocol permissioned data ("spaces"): addressing, LtHash, space commits,
// the two-root space CAR, delegation tokens, space credentials and DPoP proofs.
export {
  formatRecordPath,
  formatSetHashElement,
  formatSpaceRecordUri,
  formatSpaceUri,
  InvalidSpaceUriError,
  isSpaceUri,
  isValidSpaceRecordUri,
  isValidSpaceUri,
  parseRecordPath,
  parseSpaceRecordUri,
  parseSpaceUri,
  type RecordPath,
  SPACE_MARKER,
  type SpaceRecordUriParts,
  type SpaceUriParts,
  spaceHostAud,
} from './address.ts'
export { compareCanonical, compareLexicographic, type RecordOrder, sortPaths } from './car-order.ts'
export {
  type CarSource,
  openSpaceCar,
  type SpaceCarReader,
  type SpaceCarReadOptions,
  type VerifiedRecord,
} from './car-reader.ts'
export {
  type VerifiedSpaceRepo,
  type VerifySpaceCarParams,
  verifySpaceCar,
  verifySpaceCarFull,
} from './car-verify.ts'
export {
  type SpaceCarRecord,
  serializeSpaceRecord,
  type WriteSpaceCarOptions,
  writeSpaceCar,
  writeSpaceCarStream,
} from './car-writer.ts'
export {
  COMMIT_CTX_TAG,
  COMMIT_FIELD_BYTES,
  COMMIT_VERSION,
  type CommitCheck,
  type CommitCtx,
  type CommitIssueCode,
  checkCommit,
  computeCommitMac,
  encodeCommitCtx,
  parseSignedCommit,
  type SignedCommit,
  signCommit,
  signedCommitToLex,
  verifyCommit,
  verifyCommitMac,
} from './commit.ts'
export {
  CLIENT_ATTESTATION_TYP,
  CLOCK_SKEW_SEC,
  CREDENTIAL_TTL_SEC,
  CREDENTIAL_TYP,
  type CreateSpaceTokenOptions,
  createSpaceToken,
  DELEGATION_TTL_SEC,
  DELEGATION_TYP,
  parseSpaceToken,
  SPACE_TOKEN_TYPES,
  type SpaceToken,
  type SpaceTokenHeader,
  type SpaceTokenPayload,
  type SpaceTokenSpec,
  type SpaceTokenType,
  type VerifySpaceTokenOptions,
  verifyDelegationToken,
  verifySpaceCredential,
  verifySpaceToken,
} from './credential.ts'
export {
  type CreateDpopProofOptions,
  createDpopProof,
  DPOP_ALG,
  DPOP_PROOF_TYP,
  type DpopProof,
  dpopJktForKey,
  dpopPublicJwk,
  MAX_PROOF_AGE_SEC,
  normalizeHtu,
  type VerifyDpopProofOptions,
  verifyDpopProof,
} from './dpop.ts'
export {
  DpopProofError,
  type DpopProofErrorCode,
  RecordPathError,
  SpaceCarError,
  type SpaceCarErrorCode,
  SpaceTokenError,
  type SpaceTokenErrorCode,
} from './errors.ts'
export {
  didKeyForJwk,
  type EcPublicJwk,
  findJwk,
  type JwkSet,
  jwkThumbprint,
  p256PublicJwk,
  parseP256Jwk,
  verifyEs256WithJwk,
} from './jwk.ts'
export {
  type DecodedJwt,
  decodeJwt,
  encodeJwt,
  type JtiStore,
  jwtSigningInput,
  MAX_JWT_LENGTH,
  MemoryJtiStore,
  verifyJwtSignature,
} from './jwt.ts'
export { LTHASH_LANES, LTHASH_STATE_BYTES, LtHash } from './lthash.ts'
export {
  isCreateOp,
  isDeleteOp,
  RepoCommit,
  type RepoIndex,
  type RepoOp,
  type RepoRef,
} from './repo-commit.ts'
export { type VerifySpaceRequestOptions, verifySpaceRequest } from './request.ts'
