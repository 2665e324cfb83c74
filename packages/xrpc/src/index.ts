// @rsky/xrpc: XRPC client and server with service auth (JWT mint and verify), for node:http and fetch-style hosts.
export const PACKAGE_NAME = '@rsky/xrpc'
