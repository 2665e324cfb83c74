// @rsky/xrpc/node: hosting on node:http, with WebSocket subscriptions.
export {
  fromNodeRequest,
  type NodeListenerOptions,
  toNodeListener,
  writeNodeResponse,
} from './node-http.node.ts'
export { type NodeServeOptions, type ServingNode, serveNode } from './serve.node.ts'
export { attachSubscriptions, type SubscriptionHostOptions } from './subscriptions.node.ts'
