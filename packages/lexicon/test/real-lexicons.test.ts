// The whole current set of network lexicons parses, and every ref resolves.
import { recordInteropCount } from '@rsky/test-vectors'
import { describe, expect, it } from 'vitest'
import { Lexicons, safeParseLexiconDoc } from '../src/index.ts'
import { loadRealLexicons } from './real-lexicons.ts'

const files = loadRealLexicons()

describe('real lexicons (app.bsky, chat.bsky, com.atproto, tools.ozone)', () => {
  it('parses every document without an issue', () => {
    const bad = files.flatMap(({ path, doc }) => {
      const res = safeParseLexiconDoc(doc)
      return res.success ? [] : res.issues.map((i) => `${path} ${i.path}: ${i.message}`)
    })
    expect(bad).toEqual([])
    for (const prefix of ['app.bsky.', 'chat.bsky.', 'com.atproto.', 'tools.ozone.']) {
      expect(files.some(({ doc }) => (doc as { id: string }).id.startsWith(prefix))).toBe(true)
    }
    recordInteropCount('shared/lexicons/**/*.json (parsed)', files.length)
  })

  it('resolves every ref, with no missing target, bad target or required cycle', () => {
    const lex = new Lexicons(files.map((f) => f.doc))
    const { issues, refs } = lex.checkRefs()
    expect(issues).toEqual([])
    expect(refs).toBeGreaterThan(600)
    recordInteropCount('shared/lexicons refs resolved', refs)
  })

  it('compiles a validator for every definition', () => {
    const lex = new Lexicons(files.map((f) => f.doc))
    let compiled = 0
    for (const doc of lex) {
      for (const [name, def] of Object.entries(doc.defs)) {
        const ref = `${doc.id}#${name}`
        switch (def.type) {
          case 'record':
            lex.validateRecord(doc.id, {})
            break
          case 'query':
            lex.validateXrpcParams(doc.id, {})
            lex.validateXrpcOutput(doc.id, {})
            break
          case 'procedure':
            lex.validateXrpcParams(doc.id, {})
            lex.validateXrpcInput(doc.id, {})
            lex.validateXrpcOutput(doc.id, {})
            break
          case 'subscription':
            lex.validateSubscriptionMessage(doc.id, {})
            break
          case 'token':
          case 'permission-set':
            continue
          default:
            lex.validate(ref, {})
        }
        compiled++
      }
    }
    expect(compiled).toBeGreaterThan(700)
    recordInteropCount('shared/lexicons definitions compiled', compiled)
  })
})
