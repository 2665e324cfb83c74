// Generated code for every real lexicon type-checks under strict settings (TypeScript compiler
// API) and its validators run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { generateLexiconTypes, lexGen } from '../src/codegen/index.ts'
import { LEXICONS_DIR } from './real-lexicons.ts'
import { RUNTIME_SOURCE, typeCheckDir } from './typecheck.ts'

const out = mkdtempSync(join(tmpdir(), 'rsky-lexgen-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

const USAGE = `
import { AppBskyFeedPost, AppBskyActorProfile, ComAtprotoRepoGetRecord, lexicons } from './index.ts'
const post: AppBskyFeedPost.Main = {
  $type: 'app.bsky.feed.post',
  text: 'hello',
  createdAt: '2024-01-01T00:00:00.000Z',
  embed: { $type: 'app.bsky.embed.external', external: { uri: 'https://example.com', title: 't', description: 'd' } },
}
const res = AppBskyFeedPost.validateMain(post)
export const text: string | undefined = res.success ? res.value.text : undefined
// @ts-expect-error createdAt is required
export const bad: AppBskyFeedPost.Main = { $type: 'app.bsky.feed.post', text: 'x' }
export const name: string | undefined = ({} as AppBskyActorProfile.Main).displayName
export const params: ComAtprotoRepoGetRecord.Params = { repo: 'alice.test', collection: 'app.bsky.feed.post', rkey: 'x' }
export const size: number = lexicons.size
export { post }
`

describe('codegen', () => {
  it('writes one file per lexicon plus lexicons.ts and index.ts', async () => {
    const written = await lexGen({
      inputDir: LEXICONS_DIR,
      outputDir: out,
      importExtension: '.ts',
      runtimeModule: RUNTIME_SOURCE,
    })
    expect(written).toContain('app/bsky/feed/post.ts')
    expect(written).toContain('lexicons.ts')
    expect(written.length).toBeGreaterThan(390)
  })

  it('type-checks all generated files and a usage sample with strict settings', async () => {
    const usage = join(out, 'usage.ts')
    writeFileSync(usage, USAGE)
    expect(typeCheckDir(out)).toEqual([])
  })

  it('runs the generated validators', async () => {
    const mod = await import(join(out, 'index.ts'))
    const ok = mod.AppBskyFeedLike.validateMain({
      $type: 'app.bsky.feed.like',
      subject: {
        uri: 'at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3kznmn7xqxl22',
        cid: 'bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq',
      },
      createdAt: '2024-01-01T00:00:00.000Z',
    })
    expect(ok.success).toBe(true)
    expect(mod.AppBskyFeedLike.isMain({ $type: 'app.bsky.feed.like' })).toBe(false)
  })

  it('takes enum values and variants from the lexicons, not by hand (rsky defects not copied)', async () => {
    const { readFileSync } = await import('node:fs')
    // rsky-lexicon's RepoStatus::Takedown serialises as "takedown"; the lexicon value is "takendown".
    const status = readFileSync(join(out, 'com/atproto/sync/getRepoStatus.ts'), 'utf8')
    expect(status).toContain('"takendown"')
    expect(status).not.toContain('"takedown"')
    // rsky's SubscribeRepos enum has no Sync variant.
    const repos = readFileSync(join(out, 'com/atproto/sync/subscribeRepos.ts'), 'utf8')
    expect(repos).toMatch(/export type Message = .*"com\.atproto\.sync\.subscribeRepos#sync"/)
  })

  it('emits knownValues as open unions and tokens as constants', () => {
    const files = generateLexiconTypes({
      documents: [
        {
          lexicon: 1,
          id: 'com.example.thing',
          defs: {
            main: {
              type: 'object',
              required: ['kind'],
              properties: { kind: { type: 'string', knownValues: ['a', 'com.example.thing#tok'] } },
            },
            tok: { type: 'token' },
          },
        },
      ],
    })
    const thing = files.find((f) => f.path === 'com/example/thing.ts')?.contents ?? ''
    expect(thing).toContain(`kind: "a" | "com.example.thing#tok" | (string & {})`)
    expect(thing).toContain(`export const Tok: "com.example.thing#tok" = "com.example.thing#tok"`)
  })
})
