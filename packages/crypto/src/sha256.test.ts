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

  it('gives the same digest on both paths for inputs of every length up to 300 bytes', () => {
    const data = new Uint8Array(300)
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff
    for (let n = 0; n <= data.length; n++) {
      const input = data.subarray(0, n)
      const ours = nodeSha256(input)
      expect(ours).toBeInstanceOf(Uint8Array)
      expect(ours.length).toBe(32)
      expect(hex(ours)).toBe(hex(browserSha256(input)))
    }
  })
})
