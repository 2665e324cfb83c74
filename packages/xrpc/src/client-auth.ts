// Client auth providers: a password session (create, refresh on expiry, one refresh at a time),
// a fixed bearer token, and service-auth JWTs minted per call.
import type { Keypair } from '@rsky/crypto'
import { base64UrlDecodeText } from './base64url.ts'
import { type ClientAuth, XrpcClient, type XrpcClientOptions } from './client.ts'
import type { XrpcError } from './errors.ts'
import { createServiceJwt } from './service-auth.ts'

/** A session as `com.atproto.server.createSession` returns it (the fields used here). */
export interface SessionData {
  did: string
  handle: string
  accessJwt: string
  refreshJwt: string
  email?: string
  active?: boolean
  [key: string]: unknown
}

/** Options of {@link PasswordSession}. */
export interface PasswordSessionOptions {
  /** The PDS (or entryway) URL. */
  service: string | URL
  fetch?: typeof fetch
  /** Refresh when the access token has less than this left, in seconds; default 30. */
  refreshMarginSeconds?: number
  /** Called after every login or refresh (persist it), and with undefined when the session ends. */
  onSession?: (session: SessionData | undefined) => void
  /** A session saved earlier (its tokens are reused, refreshed when needed). */
  session?: SessionData
}

/**
 * Password (or app-password) login as client auth: `createSession`, then the access token on
 * each call; refreshed before it expires and after an `ExpiredToken` answer, with concurrent
 * callers sharing one refresh.
 * @example
 * const session = new PasswordSession({ service: pdsUrl })
 * await session.login({ identifier: 'alice.test', password })
 * const client = new XrpcClient({ service: pdsUrl, auth: session })
 */
export class PasswordSession implements ClientAuth {
  readonly #client: XrpcClient
  readonly #margin: number
  readonly #onSession: (session: SessionData | undefined) => void
  #session: SessionData | undefined
  #refreshing: Promise<SessionData> | undefined
  /** How many refreshes this session performed (observability and tests). */
  refreshCount = 0

  constructor(opts: PasswordSessionOptions) {
    const clientOpts: XrpcClientOptions = { service: opts.service, retry: false }
    if (opts.fetch) clientOpts.fetch = opts.fetch
    this.#client = new XrpcClient(clientOpts)
    this.#margin = opts.refreshMarginSeconds ?? 30
    this.#onSession = opts.onSession ?? (() => {})
    this.#session = opts.session
  }

  /** The current session, if logged in. */
  get session(): SessionData | undefined {
    return this.#session
  }

  /**
   * Logs in with `com.atproto.server.createSession`.
   * @throws {XrpcError} e.g. `AuthenticationRequired` for a wrong password, `AuthFactorTokenRequired`.
   */
  async login(credentials: {
    identifier: string
    password: string
    authFactorToken?: string
  }): Promise<SessionData> {
    const { data } = await this.#client.procedure<SessionData>(
      'com.atproto.server.createSession',
      credentials,
    )
    this.#set(data)
    return data
  }

  /**
   * Creates an account (`com.atproto.server.createAccount`) and keeps the session it returns.
   * @throws {XrpcError} e.g. `HandleNotAvailable`, `InvalidInviteCode`.
   */
  async createAccount(input: {
    handle: string
    password: string
    email?: string
    inviteCode?: string
    [key: string]: unknown
  }): Promise<SessionData> {
    const { data } = await this.#client.procedure<SessionData>('com.atproto.server.createAccount', input)
    this.#set(data)
    return data
  }

  /** Ends the session on the server (`deleteSession`) and forgets it. */
  async logout(): Promise<void> {
    const s = this.#session
    this.#session = undefined
    this.#onSession(undefined)
    if (s) {
      await this.#client
        .procedure('com.atproto.server.deleteSession', undefined, {
          headers: { authorization: `Bearer ${s.refreshJwt}` },
        })
        .catch(() => {})
    }
  }

  /**
   * Refreshes the tokens; concurrent calls share one request.
   * @throws {XrpcError} when the refresh token is refused (the session is then dropped).
   */
  refresh(): Promise<SessionData> {
    if (this.#refreshing) return this.#refreshing
    const s = this.#session
    if (s === undefined) return Promise.reject(new TypeError('not logged in'))
    this.#refreshing = this.#client
      .procedure<SessionData>('com.atproto.server.refreshSession', undefined, {
        headers: { authorization: `Bearer ${s.refreshJwt}` },
      })
      .then(
        ({ data }) => {
          this.refreshCount++
          this.#set({ ...s, ...data })
          return this.#session as SessionData
        },
        (err: XrpcError) => {
          if (err.status === 400 || err.status === 401) {
            this.#session = undefined
            this.#onSession(undefined)
          }
          throw err
        },
      )
      .finally(() => {
        this.#refreshing = undefined
      })
    return this.#refreshing
  }

  async headers(): Promise<Record<string, string>> {
    let s = this.#session
    if (s === undefined) return {}
    if (this.#refreshing) s = await this.#refreshing
    else if (expiresWithin(s.accessJwt, this.#margin)) s = await this.refresh()
    return { authorization: `Bearer ${s.accessJwt}` }
  }

  async onError(err: XrpcError): Promise<boolean> {
    if (this.#session === undefined) return false
    if (err.error !== 'ExpiredToken' && !(err.status === 401 && err.error === 'InvalidToken')) return false
    await this.refresh()
    return true
  }

  #set(s: SessionData): void {
    this.#session = s
    this.#onSession(s)
  }
}

/** True when a JWT's `exp` is less than `marginSeconds` away (or unreadable). */
function expiresWithin(jwt: string, marginSeconds: number): boolean {
  const payload = jwt.split('.')[1]
  const text = payload === undefined ? undefined : base64UrlDecodeText(payload)
  if (text === undefined) return false
  try {
    const exp = (JSON.parse(text) as { exp?: unknown }).exp
    return typeof exp === 'number' && exp - marginSeconds <= Date.now() / 1000
  } catch {
    return false
  }
}

/**
 * A fixed `Authorization: Bearer` token (an access token, or a service JWT obtained elsewhere).
 * @example new XrpcClient({ service, auth: bearerAuth(token) })
 */
export function bearerAuth(token: string): ClientAuth {
  return { headers: () => ({ authorization: `Bearer ${token}` }) }
}

/**
 * Service auth as client auth: a fresh JWT per call, `lxm` set to the called NSID.
 * @example new XrpcClient({ service: feedGenUrl, auth: serviceJwtAuth({ iss: did, aud: 'did:web:feed.example#bsky_fg', keypair }) })
 */
export function serviceJwtAuth(opts: {
  iss: string
  aud: string
  keypair: Keypair
  ttlSeconds?: number
}): ClientAuth {
  return {
    headers: async (nsid) => ({ authorization: `Bearer ${await createServiceJwt({ ...opts, lxm: nsid })}` }),
  }
}
