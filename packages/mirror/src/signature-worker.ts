// Worker-thread body of SignatureThread: checks commit signatures (@rsky/crypto's verifySignature,
// libsecp256k1 in WebAssembly for secp256k1) with the did:key the main thread resolved, and whole
// small CARs (@rsky/car's reader, every block hashed). Answers 1 (verifies), 0 (does not, with the
// reader's error for a CAR) or -1 (something else threw: the main thread runs that check itself,
// so the caller gets the very same error).
import { parentPort } from 'node:worker_threads'
import { verifySignature } from '@rsky/crypto'
import { checkCarHere, type SignatureAnswer, type SignatureRequest } from './signature-thread.ts'

if (parentPort === null) throw new Error('signature-worker: not running in a worker thread')
const port = parentPort
port.on('message', (req: SignatureRequest) => {
  if (req.kind === 'car') {
    checkCarHere(req.car, req.limits).then(
      (r) =>
        port.postMessage(
          (r.ok
            ? { id: req.id, ok: 1 }
            : { id: req.id, ok: 0, code: r.code, message: r.message }) satisfies SignatureAnswer,
        ),
      () => port.postMessage({ id: req.id, ok: -1 } satisfies SignatureAnswer),
    )
    return
  }
  let ok: SignatureAnswer['ok']
  try {
    ok = verifySignature(req.key, req.data, req.sig) ? 1 : 0
  } catch {
    ok = -1
  }
  port.postMessage({ id: req.id, ok } satisfies SignatureAnswer)
})
