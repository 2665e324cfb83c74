// decodeNodeEntries in Node: the node's own reader (codec.ts), faster there than `decode` and a
// shape check; other runtimes get node-entries.ts, which needs no second CBOR reader in a bundle.
export { readNodeEntries as decodeNodeEntries } from './codec.ts'
