// @rsky/lexicon: AT Protocol lexicons: schema parsing, record and XRPC validation, type generation
export {}
