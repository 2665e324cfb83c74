// The README's worked example: a minimal feed generator on @rsky/xrpc. It serves
// describeFeedGenerator (public) and getFeedSkeleton (service auth: the caller's PDS or AppView
// mints a token for the user, `aud` = this service, `lxm` = the method).
import { IdResolver } from '@rsky/identity'
import { ServiceAuthVerifier, serviceAuthHook, XrpcError, XrpcServer } from '../src/index.ts'

export interface FeedGeneratorOptions {
  /** This service's DID (its DID document has a `#bsky_fg` service entry pointing here). */
  serviceDid: string
  /** The lexicons: app.bsky.feed.getFeedSkeleton, describeFeedGenerator and defs. */
  lexicons: unknown[]
  /** Feeds by AT-URI: each returns post URIs for the requesting account. */
  feeds: Record<string, (viewer: string, limit: number) => string[]>
  /** Where issuer keys come from (a resolver pointed at the PLC directory). */
  resolver?: IdResolver
  /** Accept `aud` without the `#bsky_fg` fragment (what PDSes send before the spec change). */
  allowBareDidAudience?: boolean
}

export function createFeedGenerator(opts: FeedGeneratorOptions): XrpcServer {
  const verifier = new ServiceAuthVerifier({
    audience: `${opts.serviceDid}#bsky_fg`,
    allowBareDidAudience: opts.allowBareDidAudience ?? false,
    keys: opts.resolver ?? new IdResolver(),
  })
  const server = new XrpcServer({ lexicons: opts.lexicons })
  server.add('app.bsky.feed.describeFeedGenerator', () => ({
    body: { did: opts.serviceDid, feeds: Object.keys(opts.feeds).map((uri) => ({ uri })) },
  }))
  server.add('app.bsky.feed.getFeedSkeleton', {
    auth: serviceAuthHook(verifier),
    handler: ({ params, auth }) => {
      const feed = opts.feeds[params.feed as string]
      if (!feed) throw new XrpcError('UnknownFeed', 'unknown feed', { status: 400 })
      const viewer = (auth as { iss: string }).iss
      return { body: { feed: feed(viewer, params.limit as number).map((post) => ({ post })) } }
    },
  })
  return server
}
