// Finds and starts headless Chromium: Debian's `chromium` package (installed by .ci/run when
// missing), driven by playwright-core with that executable, since browser downloads are unreachable.
import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']

/** The Chromium executable: RSKY_CHROMIUM, else the first of the usual paths that exists. */
export function chromiumPath(): string | undefined {
  const configured = process.env['RSKY_CHROMIUM']
  if (configured) return existsSync(configured) ? configured : undefined
  return CANDIDATES.find((p) => existsSync(p))
}

/** Raised when the browser suite must run (CI=true) and no Chromium is installed. */
export class ChromiumMissingError extends Error {
  override readonly name = 'ChromiumMissingError'
  readonly code = 'CHROMIUM_MISSING'
  constructor() {
    super(`no Chromium found (tried RSKY_CHROMIUM and ${CANDIDATES.join(', ')}): apt-get install chromium`)
  }
}

/**
 * Starts headless Chromium. The flags keep it off the network (background networking, component
 * updates and sync would try hosts this machine cannot reach) and work as root (no sandbox).
 */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  })
}
