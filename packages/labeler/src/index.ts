// @rsky/labeler: a labeler service. Labels are signed with the labeler's `#atproto_label` key, stored
// durably (SQLite through node:sqlite, or Postgres), streamed over `subscribeLabels` (cursor replay,
// then live) and served by `queryLabels`, on plain node:http.
export { type IssueInput, Labeler, type LabelerOptions } from './labeler.ts'
export { InvalidQueryError, MAX_PATTERN_LENGTH, MAX_QUERY_VALUES, parseQueryParams } from './query.ts'
export { type LabelerServer, queryLabelsHandler, type ServeLabelerOptions, serveLabeler } from './server.ts'
export { PostgresLabelStore, type PostgresLabelStoreOptions } from './store/postgres.ts'
export { SqliteLabelStore } from './store/sqlite.ts'
export type { LabelQuery, LabelQueryPage, LabelStore, StoredLabelEvent } from './store/types.ts'
export { type CursorCheck, checkCursor, type SubscribeLimits, serveSubscriber } from './subscribe.ts'
