/**
 * Buffered output for line protocols with backpressure: responses are gathered into a small batch
 * (one syscall for many untagged lines) and `flush()` waits for the socket to drain, so a FETCH of
 * 100,000 messages or a multi-megabyte RETR never piles up in memory. Protocol-neutral.
 *
 * The target can be swapped (STARTTLS, COMPRESS=DEFLATE); `afterFlush` lets a compressor push a
 * sync-flush block so the client sees each response at once (RFC 4978 §4).
 */
import type { Writable } from 'node:stream'

/** Batch size before an automatic flush: large enough for few syscalls, small enough per session. */
export const WRITE_BATCH_BYTES = 16 * 1024

export class LineWriter {
  #target: Writable
  #batch: Array<Buffer | string> = []
  #size = 0
  #afterFlush: (() => void) | null = null

  constructor(target: Writable) {
    this.#target = target
  }

  /** Writes to `target` from now on (after a TLS upgrade or when compression starts). */
  setTarget(target: Writable, afterFlush?: () => void): void {
    this.#target = target
    this.#afterFlush = afterFlush ?? null
  }

  get target(): Writable {
    return this.#target
  }

  /** Queues bytes; flushes when the batch is full. Await it to respect backpressure. */
  write(chunk: Buffer | string): Promise<void> | void {
    this.#batch.push(chunk)
    this.#size += typeof chunk === 'string' ? chunk.length : chunk.length
    if (this.#size >= WRITE_BATCH_BYTES) return this.flush()
  }

  /** Sends everything queued and resolves once the target can take more. */
  async flush(): Promise<void> {
    if (this.#batch.length === 0) return
    const batch = this.#batch
    this.#batch = []
    this.#size = 0
    const target = this.#target
    if (target.destroyed || target.writableEnded) return
    let ok = true
    for (const chunk of batch) ok = target.write(chunk) && ok
    this.#afterFlush?.()
    if (!ok && !target.destroyed) await waitDrain(target)
  }
}

function waitDrain(target: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      target.off('drain', done)
      target.off('close', done)
      target.off('error', done)
      resolve()
    }
    target.on('drain', done)
    target.on('close', done)
    target.on('error', done)
  })
}
