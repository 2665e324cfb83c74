import { type MstNode, nodeCid } from '@rsky/mst'
import { asRepoError, loadRepoCar } from '@rsky/repo'
import type { Command } from '../command.ts'
import { EXIT_OK } from '../errors.ts'
import { openCarFile } from './input.ts'

/** One node of the tree as `repo mst` prints it. */
interface NodeRow {
  layer: number
  depth: number
  cid: string
  entries: number
  first: string | null
  last: string | null
}

/** The nodes in tree order (parents before children, left to right), with their depth. */
function* rowsOf(root: MstNode): Generator<NodeRow> {
  // An explicit stack: depth is bounded by the layer count, but never trust a tree to be shallow.
  const stack: Array<{ node: MstNode; depth: number }> = [{ node: root, depth: 0 }]
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!
    yield {
      layer: node.layer,
      depth,
      cid: nodeCid(node).toString(),
      entries: node.keys.length,
      first: node.keys[0] ?? null,
      last: node.keys[node.keys.length - 1] ?? null,
    }
    for (let i = node.keys.length; i >= 0; i--) {
      const child = node.child(i)
      // allNodes() decoded every node, so each link is a node or a ref holding one.
      const decoded = child === null ? undefined : 'keys' in child ? child : child.node
      if (decoded !== undefined) stack.push({ node: decoded, depth: depth + 1 })
    }
  }
}

const mst: Command = {
  path: ['repo', 'mst'],
  lines: true,
  help: {
    options: [],
    notes: [
      'Loads the repository (every block hash-checked, the commit decoded), decodes every tree node, then prints one line per node (indented by depth: layer, CID, entry count, first and last key) and a count of nodes and entries per layer. With --json, one JSON line per node ({type: "node", layer, depth, cid, entries, first, last}) and a last {type: "summary"} line.',
    ],
    invalid: 'the repository cannot be read (damaged CAR, bad commit or tree)',
  },
  usage: 'FILE.car [--json]',
  summary: 'the Merkle Search Tree of a repository, node by node and layer by layer',
  arity: [1, 1],
  async run({ positionals, out, streams }) {
    const loaded = await loadRepoCar(openCarFile(positionals[0]!, streams.stderr).chunks())
    let rows: NodeRow[]
    try {
      // Every node decoded (and checked) before anything is printed: no partial tree.
      const nodes = await loaded.tree.allNodes()
      rows = nodes.length === 0 ? [] : [...rowsOf(nodes[0]!)]
    } catch (err) {
      throw asRepoError(err)
    }
    const layers = new Map<number, { nodes: number; entries: number }>()
    for (const r of rows) {
      const l = layers.get(r.layer) ?? { nodes: 0, entries: 0 }
      l.nodes++
      l.entries += r.entries
      layers.set(r.layer, l)
    }
    for (const r of rows) {
      out.item({ type: 'node', ...r })
      const range = r.first === null ? '(no entries)' : `${r.first} .. ${r.last}`
      out.line(`${'  '.repeat(r.depth)}layer ${r.layer}  ${r.cid}  ${r.entries} entries  ${range}`)
    }
    const byLayer = [...layers.entries()].sort((a, b) => b[0] - a[0])
    out.item({
      type: 'summary',
      root: loaded.commit.data.toString(),
      nodes: rows.length,
      layers: Object.fromEntries(byLayer.map(([layer, v]) => [layer, v])),
    })
    out.line()
    out.line(`root ${loaded.commit.data.toString()}: ${rows.length} nodes`)
    for (const [layer, v] of byLayer) out.line(`  layer ${layer}: ${v.nodes} nodes, ${v.entries} entries`)
    return EXIT_OK
  },
}

export const repoMstCommands: Command[] = [mst]
