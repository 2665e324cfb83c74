// The official PDS and PLC directory on loopback (@atproto/dev-env), and what they hold: the
// reference the mirror is compared with.
import { setFlagsFromString } from 'node:v8'
import { TestNetworkNoAppView } from '@atproto/dev-env'
import { MemoryBlockstore, Repo, readCarWithRoot } from '@atproto/repo'

// The PDS's better-sqlite3 frees statements from GC finalizers that assume a current Node
// environment; V8's memory reducer can run a GC outside one, which aborts the process
// (Statement::~Statement → RemoveEnvironmentCleanupHook). These tests run the PDS in-process for
// minutes, so that GC is turned off here.
setFlagsFromString('--no-memory-reducer')

export type Net = TestNetworkNoAppView
export type Did = `did:${string}:${string}`
export type Seed = ReturnType<TestNetworkNoAppView['getSeedClient']>

export async function startNetwork(): Promise<{ net: Net; sc: Seed }> {
  const net = await TestNetworkNoAppView.create({})
  return { net, sc: net.getSeedClient() }
}

/** `did collection/rkey cid` lines of what getRepo holds, sorted; `undefined` when the host refuses. */
export async function heldByHost(pdsUrl: string, did: string): Promise<string[] | undefined> {
  const res = await fetch(`${pdsUrl}/xrpc/com.atproto.sync.getRepo?did=${encodeURIComponent(did)}`)
  if (!res.ok) return undefined
  const bytes = new Uint8Array(await res.arrayBuffer())
  const { root, blocks } = await readCarWithRoot(bytes)
  const repo = await Repo.load(new MemoryBlockstore(blocks), root)
  const leaves = await repo.data.list()
  return leaves.map((l) => `${did} ${l.key} ${l.value.toString()}`).sort()
}

let n = 0
/** Creates an account with a unique short name; returns its DID. */
export async function newAccount(sc: Seed, name = `user${n++}`): Promise<Did> {
  await sc.createAccount(name, { email: `${name}@test.com`, handle: `${name}.test`, password: 'password' })
  return sc.dids[name] as Did
}

/** Creates several records in one commit (`applyWrites`), and deletes some in the same batch. */
export async function applyWrites(
  sc: Seed,
  did: Did,
  creates: number,
  deletes: string[] = [],
): Promise<{ uri: string; cid: string; rkey: string }[]> {
  const now = new Date().toISOString()
  const writes: unknown[] = []
  for (let i = 0; i < creates; i++)
    writes.push({
      $type: 'com.atproto.repo.applyWrites#create',
      collection: 'app.bsky.feed.post',
      value: { $type: 'app.bsky.feed.post', text: `batch ${i}`, createdAt: now },
    })
  for (const rkey of deletes)
    writes.push({ $type: 'com.atproto.repo.applyWrites#delete', collection: 'app.bsky.feed.post', rkey })
  const res = await sc.agent.com.atproto.repo.applyWrites(
    { repo: did, writes } as never,
    { encoding: 'application/json', headers: sc.getHeaders(did) } as never,
  )
  const results = (res.data as { results?: { uri?: string; cid?: string }[] }).results ?? []
  return results.flatMap((r) =>
    r.uri && r.cid ? [{ uri: r.uri, cid: r.cid, rkey: r.uri.split('/').pop() as string }] : [],
  )
}

export async function setActive(pdsUrl: string, sc: Seed, did: Did, active: boolean): Promise<void> {
  const nsid = active ? 'com.atproto.server.activateAccount' : 'com.atproto.server.deactivateAccount'
  // activateAccount takes no body; deactivateAccount takes a JSON one
  const init: RequestInit = active
    ? { method: 'POST', headers: sc.getHeaders(did) }
    : { method: 'POST', headers: { ...sc.getHeaders(did), 'content-type': 'application/json' }, body: '{}' }
  const res = await fetch(`${pdsUrl}/xrpc/${nsid}`, init)
  if (!res.ok) throw new Error(`${nsid} failed: ${res.status} ${await res.text()}`)
}
