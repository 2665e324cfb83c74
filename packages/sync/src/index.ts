// @rsky/sync: AT Protocol sync: firehose frames and events, authenticated commits (sync 1.1), firehose client, Jetstream
export {}
