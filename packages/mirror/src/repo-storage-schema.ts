// Tables of the durable RepoStorage (documented in the README). They sit beside the mirror's tables
// in the same file or database and are created on first open; every repository is keyed by its DID,
// so one database holds any number of repositories.

/** SQLite: CIDs of blocks in binary form (the key), the root as its string form. */
export const SQLITE_REPO_STORAGE_SCHEMA = `
CREATE TABLE IF NOT EXISTS repo_storage_root (
  did TEXT PRIMARY KEY,
  cid TEXT NOT NULL,
  rev TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS repo_storage_block (
  did TEXT NOT NULL,
  cid BLOB NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (did, cid)
) WITHOUT ROWID;
`

/** Postgres: the same tables. */
export const POSTGRES_REPO_STORAGE_SCHEMA = `
CREATE TABLE IF NOT EXISTS repo_storage_root (
  did text PRIMARY KEY,
  cid text NOT NULL,
  rev text NOT NULL
);
CREATE TABLE IF NOT EXISTS repo_storage_block (
  did text NOT NULL,
  cid bytea NOT NULL,
  bytes bytea NOT NULL,
  PRIMARY KEY (did, cid)
);
`
