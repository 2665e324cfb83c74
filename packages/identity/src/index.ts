// @rsky/identity: AT Protocol identity: did:plc and did:web resolution, handle resolution over DNS and HTTPS, DID documents, caching
export {}
