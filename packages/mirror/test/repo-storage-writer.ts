// Child process of repo-storage.test.ts: writes the deterministic history into a durable storage,
// resuming after whatever commit the storage holds, and prints each commit index as it lands.
// Usage: node --conditions=source repo-storage-writer.ts sqlite|postgres PATH|URL COMMITS
import { Repo, type RepoStorage } from '@rsky/repo'
import { PostgresRepoStorage, SqliteRepoStorage } from '../src/index.ts'
import { HISTORY_DID, indexOfRev, writeHistory } from './repo-history.ts'

const [kind, db, commits] = process.argv.slice(2) as [string, string, string]
const storage: RepoStorage & { close(): unknown } =
  kind === 'postgres'
    ? await PostgresRepoStorage.connect(db, { did: HISTORY_DID, maxConnections: 1 })
    : SqliteRepoStorage.open(db, { did: HISTORY_DID })
const root = await storage.getRoot()
const from = root === null ? 0 : indexOfRev((await Repo.load(storage)).rev) + 1
await writeHistory(storage, { from, to: Number(commits), onCommit: (i) => process.stdout.write(`${i}\n`) })
await storage.close()
