// Worker-thread body of SignatureThread: checks commit signatures (@rsky/crypto's verifySignature,
// libsecp256k1 in WebAssembly for secp256k1) with the did:key the main thread resolved, and answers
// each request with 1 (verifies), 0 (does not) or -1 (verifySignature threw: the main thread
// checks that one itself, so the caller gets the very same error).
import { parentPort } from 'node:worker_threads'
import { verifySignature } from '@rsky/crypto'
import type { SignatureAnswer, SignatureRequest } from './signature-thread.ts'

if (parentPort === null) throw new Error('signature-worker: not running in a worker thread')
const port = parentPort
port.on('message', (req: SignatureRequest) => {
  let ok: SignatureAnswer['ok']
  try {
    ok = verifySignature(req.key, req.data, req.sig) ? 1 : 0
  } catch {
    ok = -1
  }
  port.postMessage({ id: req.id, ok } satisfies SignatureAnswer)
})
