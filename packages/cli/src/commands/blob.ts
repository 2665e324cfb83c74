import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { createCid, RAW_CODEC } from '@rsky/dag-cbor'
import type { Command } from '../command.ts'
import { EXIT_OK, UsageError } from '../errors.ts'
import { formatBytes, keyValueLines } from '../output.ts'
import { createProgress } from '../progress.ts'
import { inputName, statInput } from './input.ts'

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i

const compute: Command = {
  path: ['blob', 'compute'],
  help: {
    options: [
      ['--mime TYPE', 'the mimeType of the printed blob reference (default application/octet-stream)'],
    ],
    notes: [
      'The CID a PDS gives the file when it is uploaded as a blob: CIDv1, raw codec, sha-256, base32. The file is hashed as a stream, so any size works. - reads stdin.',
    ],
    invalid: 'never',
  },
  usage: 'FILE [--mime TYPE] [--json]',
  summary: 'the CID of a blob (raw codec, sha-256) and its blob reference, streamed from FILE or stdin (-)',
  options: { mime: { type: 'string' } },
  arity: [1, 1],
  async run({ positionals, values, out, streams }) {
    const path = positionals[0]!
    const mimeType = (values['mime'] as string | undefined) ?? 'application/octet-stream'
    if (!MIME.test(mimeType)) throw new UsageError(`--mime is not a MIME type; mime=${mimeType}`)
    const size = statInput(path)
    const progress = createProgress(`hashing ${inputName(path)}`, size, streams.stderr)
    const hash = createHash('sha256')
    let read = 0
    try {
      const source = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 })
      for await (const chunk of source) {
        hash.update(chunk as Uint8Array)
        read += (chunk as Uint8Array).length
        progress.update(read)
      }
    } finally {
      progress.finish()
    }
    const cid = createCid(RAW_CODEC, new Uint8Array(hash.digest())).toString()
    const ref = { $type: 'blob', ref: { $link: cid }, mimeType, size: read }
    out.result({ valid: true, cid, size: read, blobRef: ref })
    for (const line of keyValueLines([
      ['cid', cid],
      ['size', `${read} bytes (${formatBytes(read)})`],
      ['blob ref', JSON.stringify(ref)],
    ]))
      out.line(line)
    return EXIT_OK
  },
}

export const blobCommands: Command[] = [compute]
