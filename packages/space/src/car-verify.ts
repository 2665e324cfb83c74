import type { RecordOrder } from './car-order.ts'
import { type CarSource, openSpaceCar, type SpaceCarReadOptions, type VerifiedRecord } from './car-reader.ts'
import { type CommitCtx, checkCommit, type SignedCommit } from './commit.ts'
import { SpaceCarError } from './errors.ts'
import type { RepoCommit, RepoIndex } from './repo-commit.ts'

/** Inputs for {@link verifySpaceCar}. */
export interface VerifySpaceCarParams extends SpaceCarReadOptions {
  /** The space URI the repo belongs to. */
  space: string
  /** The repo author's DID. */
  author: string
  /** The author's signing key as a did:key (resolved from their DID document). */
  didKey: string
  /** False for an index-only CAR (no record blocks). Default true. */
  expectValues?: boolean
}

/** A space CAR whose commit and index are verified; records verify as they are drained. */
export interface VerifiedSpaceRepo {
  readonly commit: SignedCommit
  readonly index: RepoIndex
  readonly repo: RepoCommit
  readonly records: AsyncGenerator<VerifiedRecord>
  /** The block order, known once `records` is drained (`lexicographic` = rsky's order). */
  readonly order: RecordOrder | undefined
}

/**
 * Verifies a space CAR for one author in one space: the commit (ver, rev, MAC, signature), the
 * index against the commit hash, then each record as `records` is drained. Drain `records` to
 * the end to know the repo was complete ({@link verifySpaceCarFull} does that).
 * @throws {SpaceCarError} on any failed stage (`CommitVerification` when the commit fails)
 */
export async function verifySpaceCar(
  source: CarSource,
  params: VerifySpaceCarParams,
): Promise<VerifiedSpaceRepo> {
  const car = await openSpaceCar(source, params)
  const ctx: CommitCtx = { space: params.space, author: params.author, rev: car.commit.rev }
  const check = checkCommit(car.commit, ctx, params.didKey)
  if (!check.success) {
    await car.close()
    const issue = check.issues[0]!
    throw new SpaceCarError(
      'CommitVerification',
      `commit failed verification; reason=${issue.code} ${issue.message}`,
      {
        blockIndex: 0,
      },
    )
  }
  const index = await car.readIndex(car.commit.hash)
  const repo = car.repo!
  const records = car.records(params.expectValues === false ? { expectValues: false } : {})
  return {
    commit: car.commit,
    index,
    repo,
    records,
    get order() {
      return car.order
    },
  }
}

/**
 * {@link verifySpaceCar}, collecting every record.
 * @throws {SpaceCarError}
 */
export async function verifySpaceCarFull(
  source: CarSource,
  params: VerifySpaceCarParams,
): Promise<{
  commit: SignedCommit
  index: RepoIndex
  repo: RepoCommit
  records: VerifiedRecord[]
  order: RecordOrder
}> {
  const v = await verifySpaceCar(source, params)
  const records: VerifiedRecord[] = []
  for await (const r of v.records) records.push(r)
  return { commit: v.commit, index: v.index, repo: v.repo, records, order: v.order ?? 'canonical' }
}
