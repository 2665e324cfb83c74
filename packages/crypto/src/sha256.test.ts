import { sha256 } from '@rsky/crypto'
import { describe, expect, it } from 'vitest'
import { sha256 as browserSha256 } from './sha256.browser.ts'
import { sha256 as nodeSha256 } from './sha256.node.ts'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe('sha256', () => {
  it('matches the known empty-input digest on both paths', () => {
    const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    expect(hex(nodeSha256(new Uint8Array()))).toBe(empty)
    expect(hex(browserSha256(new Uint8Array()))).toBe(empty)
    expect(hex(sha256(new Uint8Array()))).toBe(empty)
  })
})
