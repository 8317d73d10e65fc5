/**
 * Buffered output for line protocols with backpressure: responses are gathered into a small batch
 * and `flush()` waits for the socket to drain, so a FETCH of 100,000 messages or a multi-megabyte
 * RETR never piles up in memory. Protocol-neutral.
 *
 * A batch leaves in one system call: consecutive strings are joined as they come (a FETCH response
 * is written as a dozen small pieces) and the rest is corked into one writev. Written piece by
 * piece, each piece cost a syscall of its own: that was the largest CPU cost of the IMAP mix.
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
  /** Strings written since the last Buffer, joined (V8 concatenation is cheap: a rope). */
  #text = ''
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
    if (typeof chunk === 'string') this.#text += chunk
    else {
      if (this.#text) this.#batch.push(this.#text)
      this.#text = ''
      this.#batch.push(chunk)
    }
    this.#size += chunk.length
    if (this.#size >= WRITE_BATCH_BYTES) return this.flush()
  }

  /** Sends everything queued and resolves once the target can take more. */
  async flush(): Promise<void> {
    if (this.#text) this.#batch.push(this.#text)
    this.#text = ''
    if (this.#batch.length === 0) return
    const batch = this.#batch
    this.#batch = []
    this.#size = 0
    const target = this.#target
    if (target.destroyed || target.writableEnded) return
    let ok = true
    if (batch.length === 1) ok = target.write(batch[0])
    else {
      // Corked, the pieces go out together (a socket's writev) instead of one syscall each.
      target.cork()
      for (const chunk of batch) ok = target.write(chunk) && ok
      target.uncork()
    }
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
