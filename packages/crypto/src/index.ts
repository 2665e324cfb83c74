// @rsky/crypto, browser and reference entry (pure JS on @noble/*). Node resolves index.node.ts instead.
export { sha256 } from './sha256.browser.ts'
