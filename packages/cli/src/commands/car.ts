import { readCarStream } from '@rsky/car'
import { DAG_CBOR_CODEC, RAW_CODEC } from '@rsky/dag-cbor'
import type { Command } from '../command.ts'
import { EXIT_OK } from '../errors.ts'
import { formatBytes, keyValueLines } from '../output.ts'
import { openCarFile } from './input.ts'

const codecName = (code: number): string =>
  code === DAG_CBOR_CODEC ? 'dag-cbor' : code === RAW_CODEC ? 'raw' : `0x${code.toString(16)}`

const inspect: Command = {
  path: ['car', 'inspect'],
  usage: 'FILE.car [--json]',
  summary: 'header, block count, sizes and codecs of a CAR file (every block hash-checked)',
  arity: [1, 1],
  async run({ positionals, out, streams }) {
    const file = openCarFile(positionals[0]!, streams.stderr)
    const start = performance.now()
    const car = readCarStream(file.chunks())
    const header = await car.header
    let blocks = 0
    let blockBytes = 0
    let largest = 0
    const codecs: Record<string, number> = {}
    for await (const { cid, bytes } of car) {
      blocks++
      blockBytes += bytes.length
      if (bytes.length > largest) largest = bytes.length
      const name = codecName(cid.code)
      codecs[name] = (codecs[name] ?? 0) + 1
    }
    const ms = performance.now() - start
    out.result({
      valid: true,
      version: header.version,
      roots: header.roots.map((r) => r.toString()),
      blocks,
      fileBytes: file.size,
      blockBytes,
      largestBlock: largest,
      codecs,
      ms: Math.round(ms),
    })
    for (const line of keyValueLines([
      ['file', `${file.path} (${formatBytes(file.size)})`],
      ['version', header.version],
      ['roots', header.roots.map((r) => r.toString()).join(', ') || '(none)'],
      ['blocks', `${blocks} (${formatBytes(blockBytes)} of block data, largest ${formatBytes(largest)})`],
      [
        'codecs',
        Object.entries(codecs)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ],
      ['hashes', 'every block matches its CID'],
      ['time', `${ms.toFixed(0)} ms`],
    ]))
      out.line(line)
    return EXIT_OK
  },
}

export const carCommands: Command[] = [inspect]
