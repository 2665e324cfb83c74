// @rsky/dag-cbor: The AT Protocol data model: strict DAG-CBOR, CIDs, and the JSON form ($link, $bytes, blob refs)
export {}
