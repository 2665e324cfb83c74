/** The SQLite tables of a mirror (documented in the README). */
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS mirror_cursor (
  stream TEXT PRIMARY KEY,
  seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS mirror_repo (
  did TEXT PRIMARY KEY,
  phase TEXT NOT NULL,
  rev TEXT,
  data TEXT,
  sync_status TEXT,
  seq INTEGER,
  unproven INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  reason TEXT,
  retry_at INTEGER NOT NULL DEFAULT 0,
  added INTEGER NOT NULL,
  hash INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS mirror_repo_due ON mirror_repo (phase, retry_at);
CREATE TABLE IF NOT EXISTS mirror_account (
  did TEXT PRIMARY KEY,
  active INTEGER NOT NULL,
  status TEXT
);
CREATE TABLE IF NOT EXISTS mirror_record (
  did TEXT NOT NULL,
  collection TEXT NOT NULL,
  rkey TEXT NOT NULL,
  cid TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (did, collection, rkey)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mirror_buffer (
  did TEXT NOT NULL,
  seq INTEGER NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (did, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mirror_change (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  did TEXT NOT NULL,
  collection TEXT NOT NULL,
  rkey TEXT NOT NULL,
  action TEXT NOT NULL,
  cid TEXT,
  rev TEXT NOT NULL
);
`
