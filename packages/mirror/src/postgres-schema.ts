/** The Postgres tables of a mirror (documented in the README). */
export const POSTGRES_SCHEMA = `
CREATE TABLE IF NOT EXISTS mirror_cursor (
  stream text PRIMARY KEY,
  seq bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS mirror_repo (
  did text PRIMARY KEY,
  phase text NOT NULL,
  rev text,
  data text,
  sync_status text,
  seq bigint,
  unproven boolean,
  attempts integer NOT NULL DEFAULT 0,
  reason text,
  retry_at bigint NOT NULL DEFAULT 0,
  added bigint NOT NULL,
  hash bigint NOT NULL DEFAULT 0,
  lease_owner text,
  lease_until bigint NOT NULL DEFAULT 0
);
ALTER TABLE mirror_repo ADD COLUMN IF NOT EXISTS hash bigint NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS mirror_repo_due ON mirror_repo (phase, retry_at);
CREATE TABLE IF NOT EXISTS mirror_account (
  did text PRIMARY KEY,
  active boolean NOT NULL,
  status text
);
CREATE TABLE IF NOT EXISTS mirror_record (
  did text NOT NULL,
  collection text NOT NULL,
  rkey text NOT NULL,
  cid text NOT NULL,
  value bytea NOT NULL,
  PRIMARY KEY (did, collection, rkey)
);
CREATE TABLE IF NOT EXISTS mirror_buffer (
  did text NOT NULL,
  seq bigint NOT NULL,
  body bytea NOT NULL,
  PRIMARY KEY (did, seq)
);
CREATE TABLE IF NOT EXISTS mirror_change (
  id bigserial PRIMARY KEY,
  did text NOT NULL,
  collection text NOT NULL,
  rkey text NOT NULL,
  action text NOT NULL,
  cid text,
  rev text NOT NULL
);
`
