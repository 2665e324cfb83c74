// Reference checks across a set of documents: missing targets, wrong target types, and cycles
// of required fields (a schema no finite value can satisfy).

import { type LexiconRefIssue, pathKey } from './errors.ts'
import type { LexFieldSchema, LexiconDoc, LexUserType } from './types.ts'

/** What the reference checker needs from the registry. */
export interface RefHost {
  docs(): Iterable<LexiconDoc>
  resolve(ref: string, baseId: string): string
  getDef(uri: string): LexUserType | undefined
}

const NOT_REFERENCEABLE = new Set(['token', 'query', 'procedure', 'subscription', 'permission-set'])
const UNION_TARGETS = new Set(['object', 'record'])

interface Found {
  readonly kind: 'ref' | 'union'
  readonly ref: string
  readonly path: string
}

/** Every ref and union member in a document, with its path. */
export function collectRefs(doc: LexiconDoc): Found[] {
  const out: Found[] = []
  // An explicit stack, not recursion: fields the checker ignores may nest arbitrarily deep.
  const stack: [unknown, string][] = [[doc.defs, '$.defs']]
  const later: [unknown, string][] = []
  while (stack.length > 0) {
    const [node, path] = stack.pop() as [unknown, string]
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) later.push([node[i], `${path}[${i}]`])
    } else if (typeof node === 'object' && node !== null) {
      const o = node as Record<string, unknown>
      if (o['type'] === 'ref' && typeof o['ref'] === 'string') out.push({ kind: 'ref', ref: o['ref'], path })
      if (o['type'] === 'union' && Array.isArray(o['refs'])) {
        o['refs'].forEach((r, i) => {
          if (typeof r === 'string')
            out.push({ kind: 'union', ref: r, path: `${pathKey(path, 'refs')}[${i}]` })
        })
      }
      for (const k of Object.keys(o)) if (typeof o[k] === 'object') later.push([o[k], pathKey(path, k)])
    }
    // children in document order, depth first, as the recursive walk visited them
    while (later.length > 0) stack.push(later.pop() as [unknown, string])
  }
  return out
}

/** Checks every reference in every document; returns one issue per problem (empty when all resolve). */
export function checkAllRefs(host: RefHost): { issues: LexiconRefIssue[]; refs: number } {
  const issues: LexiconRefIssue[] = []
  let refs = 0
  for (const doc of host.docs()) {
    for (const f of collectRefs(doc)) {
      refs++
      const uri = host.resolve(f.ref, doc.id)
      const target = host.getDef(uri)
      if (!target) {
        issues.push({
          code: 'missing_ref',
          id: doc.id,
          path: f.path,
          ref: uri,
          message: 'reference target not found',
        })
      } else if (f.kind === 'ref' && NOT_REFERENCEABLE.has(target.type)) {
        issues.push({
          code: 'bad_ref_target',
          id: doc.id,
          path: f.path,
          ref: uri,
          message: `a ref can not point at a ${target.type}`,
        })
      } else if (f.kind === 'union' && !UNION_TARGETS.has(target.type)) {
        issues.push({
          code: 'bad_ref_target',
          id: doc.id,
          path: f.path,
          ref: uri,
          message: `a union member must be an object or record, not a ${target.type}`,
        })
      }
    }
  }
  issues.push(...findRequiredCycles(host))
  return { issues, refs }
}

/** Definitions a value of `def` must contain (through required properties, refs and non-empty arrays). */
function mustContain(
  def: LexFieldSchema | LexUserType,
  baseId: string,
  host: RefHost,
  out: Set<string>,
): void {
  switch (def.type) {
    case 'ref':
      out.add(host.resolve(def.ref, baseId))
      return
    case 'array':
      if ((def.minLength ?? 0) > 0) mustContain(def.items, baseId, host, out)
      return
    case 'record':
      mustContain(def.record, baseId, host, out)
      return
    case 'object':
      for (const name of def.required ?? []) {
        const prop = def.properties?.[name]
        if (prop && !def.nullable?.includes(name)) mustContain(prop, baseId, host, out)
      }
      return
    default:
      return
  }
}

function findRequiredCycles(host: RefHost): LexiconRefIssue[] {
  const edges = new Map<string, string[]>()
  for (const doc of host.docs()) {
    for (const name of Object.keys(doc.defs)) {
      const found = new Set<string>()
      mustContain(doc.defs[name] as LexUserType, doc.id, host, found)
      edges.set(`${doc.id}#${name}`, [...found])
    }
  }
  // Iterative DFS with colours; a grey target closes a cycle.
  const colour = new Map<string, 1 | 2>()
  const issues: LexiconRefIssue[] = []
  for (const start of edges.keys()) {
    if (colour.has(start)) continue
    const stack: { node: string; next: number }[] = [{ node: start, next: 0 }]
    colour.set(start, 1)
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { node: string; next: number }
      const outs = edges.get(top.node) ?? []
      if (top.next >= outs.length) {
        colour.set(top.node, 2)
        stack.pop()
        continue
      }
      const to = outs[top.next++] as string
      const c = colour.get(to)
      if (c === 1) {
        const from = stack.findIndex((s) => s.node === to)
        const cycle = [...stack.slice(from).map((s) => s.node), to]
        issues.push({
          code: 'required_cycle',
          id: to.slice(0, to.indexOf('#')),
          path: `$.defs.${to.slice(to.indexOf('#') + 1)}`,
          ref: cycle.join(' -> '),
          message: 'required fields form a cycle, so no finite value is valid',
        })
      } else if (c === undefined && edges.has(to)) {
        colour.set(to, 1)
        stack.push({ node: to, next: 0 })
      }
    }
  }
  return issues
}
