// @rsky/syntax: AT Protocol identifier syntax: DID, handle, NSID, record key, TID, datetime, AT-URI, language, CID string, space URIs
export {}
