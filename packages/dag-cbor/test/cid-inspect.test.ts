// Cid's util.inspect form: set up by cid-inspect.ts everywhere but in browsers, whose
// cid-inspect.browser.ts (#cid-inspect) sets up nothing.
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { showCidsAs as browserShow } from '../src/cid-inspect.browser.ts'
import { cidForCbor } from '../src/index.ts'

describe('#cid-inspect', () => {
  it('Node shows a Cid as CID(<string>)', () => {
    const cid = cidForCbor(new Uint8Array([0xa0]))
    expect(inspect(cid)).toBe(`CID(${cid.toString()})`)
    expect(inspect({ link: cid })).toContain(`CID(${cid.toString()})`)
  })

  it('the browser variant sets nothing up', () => {
    class Thing {
      toString(): string {
        return 'x'
      }
    }
    browserShow(Thing)
    expect(Object.getOwnPropertySymbols(Thing.prototype)).toEqual([])
  })
})
