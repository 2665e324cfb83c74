// Network commands that read a repository from its PDS and verify it before printing anything:
// `get AT-URI` (a record with its proof), `ls DID|HANDLE` and `repo export DID|HANDLE OUT.car`.

import { once } from 'node:events'
import { createWriteStream, renameSync, rmSync, statSync } from 'node:fs'
import { type Cid, lexToJson } from '@rsky/dag-cbor'
import { asRepoError, loadRepoCar, readRecordBlock, verifyRepoCar } from '@rsky/repo'
import { AtUri, isValidNsid, isValidRecordKey } from '@rsky/syntax'
import type { Command, CommandInput } from '../command.ts'
import { EXIT_OK, RecordNotFoundError, UsageError } from '../errors.ts'
import { formatBytes, keyValueLines } from '../output.ts'
import { createByteCounter, note } from '../progress.ts'
import { sniffedCar } from './input.ts'
import {
  type Identity,
  keyOf,
  NET_OPTION_HELP,
  NET_OPTIONS,
  type Net,
  netOf,
  pdsOf,
  resolveIdentity,
  ServiceError,
  xrpcGet,
} from './net.ts'

/** Largest proof CAR `get` accepts (a record and one tree path: a few KB in practice). */
const MAX_PROOF_BYTES = 8 * 1024 * 1024

type Stderr = CommandInput['streams']['stderr']

/** The raw chunks of a body; a timeout or a dropped connection while reading is a ServiceError. */
async function* readBody(res: Response): AsyncGenerator<Uint8Array> {
  if (res.body === null) return
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) yield chunk
  } catch (err) {
    const name = (err as Error).name
    const code = name === 'TimeoutError' || name === 'AbortError' ? 'SERVICE_TIMEOUT' : 'SERVICE_UNREACHABLE'
    throw new ServiceError(code, res.url, err)
  }
}

/**
 * The body of a response as chunks, counted on a terminal and capped at `max` bytes when given;
 * a body that is not a CAR at all is NotACarError (`the answer of <url>`).
 */
async function* bodyChunks(
  res: Response,
  label: string,
  stderr: Stderr,
  max?: number,
): AsyncGenerator<Uint8Array> {
  const counter = createByteCounter(label, stderr)
  let total = 0
  try {
    for await (const chunk of sniffedCar(`the answer of ${res.url.split('?')[0]}`, readBody(res))) {
      total += chunk.length
      if (max !== undefined && total > max) {
        throw Object.assign(new Error(`the answer is larger than ${formatBytes(max)}`), {
          name: 'ResponseTooLargeError',
          code: 'RESPONSE_TOO_LARGE',
        })
      }
      counter.update(total)
      yield chunk
    }
  } finally {
    counter.finish()
  }
}

/** The repository of `id` from its PDS (com.atproto.sync.getRepo), as a response to stream. */
async function getRepo(net: Net, id: Identity): Promise<Response> {
  return xrpcGet(net, pdsOf(id), 'com.atproto.sync.getRepo', { did: id.did })
}

const get: Command = {
  path: ['get'],
  help: {
    options: NET_OPTION_HELP,
    notes: [
      "Resolves the account, asks its PDS for com.atproto.sync.getRecord (a CAR with the signed commit, the tree nodes on the record's path and the record), checks every block hash, the commit's DID and its signature with the key of the DID document, and finds the record through the signed tree. Prints the record in its JSON form; with --json {uri, cid, commit, rev, signature, record}.",
    ],
    invalid:
      'the record does not exist (the proof shows it absent), or the proof does not verify (bad signature, wrong DID, damaged CAR, missing tree node)',
  },
  usage: 'AT-URI [--plc URL] [--pds URL] [--timeout SECONDS] [--json]',
  summary: "a record from its PDS, verified against the repository's signed commit with a proof CAR",
  options: { ...NET_OPTIONS },
  arity: [1, 1],
  async run({ positionals, values, out, streams }) {
    const uri = AtUri.parseSafe(positionals[0]!)
    if (uri === undefined || !uri.collection || !uri.rkey) {
      throw new UsageError(
        `not an AT-URI of a record (at://DID-OR-HANDLE/COLLECTION/RKEY): ${positionals[0]}`,
      )
    }
    const { collection, rkey } = uri
    if (!isValidNsid(collection) || !isValidRecordKey(rkey))
      throw new UsageError(`not a record AT-URI: ${uri}`)
    const net = netOf(values)
    const id = await resolveIdentity(net, uri.host)
    const key = keyOf(id)
    const res = await xrpcGet(net, pdsOf(id), 'com.atproto.sync.getRecord', { did: id.did, collection, rkey })
    // The proof: the signed commit, the tree nodes on the path to the key, and the record block.
    const loaded = await loadRepoCar(bodyChunks(res, 'proof', streams.stderr, MAX_PROOF_BYTES), {
      did: id.did,
      key,
    })
    const path = `${collection}/${rkey}`
    let cid: Cid | null
    try {
      cid = await loaded.tree.get(path)
    } catch (err) {
      throw asRepoError(err)
    }
    // The proof shows the key absent from the signed tree.
    if (cid === null) throw new RecordNotFoundError(path)
    const record = lexToJson(readRecordBlock(loaded.blocks, path, cid))
    const at = `at://${id.did}/${path}`
    if (out.json) {
      out.result({
        valid: true,
        uri: at,
        cid: cid.toString(),
        commit: loaded.root.toString(),
        rev: loaded.commit.rev ?? null,
        signature: 'valid',
        record,
      })
    } else {
      streams.stdout.write(`${JSON.stringify(record, null, 2)}\n`)
      note(
        streams.stderr,
        `${at} ${cid.toString()}: verified against commit ${loaded.root.toString()} (rev ${loaded.commit.rev})`,
      )
    }
    return EXIT_OK
  },
}

const ls: Command = {
  path: ['ls'],
  help: {
    options: NET_OPTION_HELP,
    notes: [
      'Downloads the repository (com.atproto.sync.getRepo), checks every block hash, the commit and its signature, every tree node on the way and every record block, and only then prints COLLECTION/RKEY and CID per record (JSON lines with --json).',
    ],
    invalid: 'the repository does not verify, or the account cannot be resolved',
  },
  usage: 'DID|HANDLE [COLLECTION] [--plc URL] [--pds URL] [--timeout SECONDS] [--json]',
  summary: "the records of an account's repository (verified in full first), optionally of one collection",
  options: { ...NET_OPTIONS },
  lines: true,
  arity: [1, 2],
  async run({ positionals, values, out, streams }) {
    const collection = positionals[1]
    if (collection !== undefined && !isValidNsid(collection))
      throw new UsageError(`not a collection NSID: ${collection}`)
    const net = netOf(values)
    const id = await resolveIdentity(net, positionals[0]!)
    const key = keyOf(id)
    const res = await getRepo(net, id)
    const loaded = await loadRepoCar(bodyChunks(res, `fetching ${id.did}`, streams.stderr), {
      did: id.did,
      key,
    })
    // Collected and checked (every node, every record block) before anything is printed.
    const rows: Array<{ path: string; cid: string }> = []
    try {
      const from = collection === undefined ? undefined : `${collection}/`
      for await (const leaf of loaded.tree.walkLeaves(from)) {
        if (from !== undefined && !leaf.key.startsWith(from)) break
        readRecordBlock(loaded.blocks, leaf.key, leaf.value)
        rows.push({ path: leaf.key, cid: leaf.value.toString() })
      }
    } catch (err) {
      throw asRepoError(err)
    }
    for (const r of rows) {
      out.item(r)
      out.line(`${r.path}  ${r.cid}`)
    }
    note(streams.stderr, `${rows.length} records of ${id.did} at rev ${loaded.commit.rev}, commit verified`)
    return EXIT_OK
  },
}

/** Whether `s` names an account rather than a local file. */
export function isAccountRef(s: string): boolean {
  if (s.startsWith('did:')) return true
  try {
    statSync(s)
    return false
  } catch {
    return (
      !s.includes('/') &&
      !s.includes('\\') &&
      /^@?[a-z0-9.-]+\.[a-z][a-z0-9-]*$/i.test(s) &&
      !s.endsWith('.car')
    )
  }
}

/**
 * `repo export DID|HANDLE OUT.car`: streams the repository into OUT.car while verifying it, and
 * keeps the file only when every check passed (written beside it, renamed at the end).
 */
export async function exportRemote({ positionals, values, out, streams }: CommandInput): Promise<number> {
  const [who, target] = positionals as [string, string]
  const net = netOf(values)
  try {
    if (statSync(target).isDirectory()) throw new UsageError(`OUT.car is a folder: ${target}`, { io: true })
  } catch (err) {
    if (err instanceof UsageError) throw err
  }
  const id = await resolveIdentity(net, who)
  const key = keyOf(id)
  const res = await getRepo(net, id)
  const partial = `${target}.partial`
  const file = createWriteStream(partial)
  await Promise.race([
    once(file, 'open'),
    once(file, 'error').then(([err]) => {
      throw new UsageError(`cannot write ${target}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
        io: true,
        cause: err,
      })
    }),
  ])
  let bytes = 0
  async function* tee(): AsyncGenerator<Uint8Array> {
    for await (const chunk of bodyChunks(res, `fetching ${id.did}`, streams.stderr)) {
      bytes += chunk.length
      if (!file.write(chunk)) await once(file, 'drain')
      yield chunk
    }
  }
  const start = performance.now()
  try {
    const r = await verifyRepoCar(tee(), { did: id.did, key })
    file.end()
    await once(file, 'finish')
    renameSync(partial, target)
    const ms = performance.now() - start
    out.result({
      valid: true,
      did: id.did,
      out: target,
      bytes,
      rev: r.rev,
      commit: r.commit.toString(),
      records: r.records,
      blocks: r.blocks,
      signature: r.signature,
      ms: Math.round(ms),
    })
    for (const line of keyValueLines([
      ['did', id.did],
      ['written', `${target} (${formatBytes(bytes)})`],
      ['rev', r.rev],
      ['commit', r.commit.toString()],
      ['records', r.records],
      ['verified', 'every block hash, the commit and its signature, the tree and every record'],
    ]))
      out.line(line)
    return EXIT_OK
  } catch (err) {
    file.destroy()
    rmSync(partial, { force: true })
    throw err
  }
}

export const remoteCommands: Command[] = [get, ls]
