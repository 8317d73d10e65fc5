/**
 * A bounded, pull-style reader for line protocols (IMAP, POP3, ManageSieve): `await readLine()`
 * and `await readBytes(n)` (IMAP literals) over any Readable. Protocol-neutral.
 *
 * - A line longer than `maxLine` never sits in memory: the reader discards up to the next LF and
 *   throws `LineTooLongError`, so the session can answer BAD/-ERR and go on.
 * - While nobody reads (a command is running), at most `highWater` bytes are buffered; past that
 *   the source is paused (TCP backpressure), so a pipelining client cannot grow our memory.
 * - `attach()` swaps the source (STARTTLS, COMPRESS) and drops whatever was buffered from the old
 *   one: bytes pipelined before a TLS handshake must not be executed after it (RFC 9051 6.2.1,
 *   RFC 2595 3.1, the STARTTLS command-injection class of bugs).
 * - When idle, the reader holds no buffers at all (a few fields), so thousands of idle IMAP
 *   connections stay small.
 * - Optionally (`lineDeadlineMs`), once the first byte of a line has arrived the whole line must
 *   arrive within the deadline, else `readLine()` throws `LineDeadlineError`. An idle timer reset
 *   by every byte cannot stop a slowloris client (one byte a second, never a whole line); this
 *   can. The clock runs only while `readLine()` waits for input, so time the session spends
 *   working on earlier commands is never charged to the client.
 */
import type { Readable } from 'node:stream'

/** Pipelined bytes buffered while the session is busy, before the socket is paused. */
export const DEFAULT_HIGH_WATER = 64 * 1024

export class LineTooLongError extends Error {
  constructor(limit: number) {
    super(`Line longer than ${limit} bytes`)
    this.name = 'LineTooLongError'
  }
}

/** The client took longer than `lineDeadlineMs` to complete a line it had started (slowloris). */
export class LineDeadlineError extends Error {
  readonly deadlineMs: number
  constructor(deadlineMs: number) {
    super(`Line not completed within ${deadlineMs} ms`)
    this.name = 'LineDeadlineError'
    this.deadlineMs = deadlineMs
  }
}

export interface LineReaderOptions {
  /** Longest line accepted, without its CRLF (stops memory exhaustion by an endless line). */
  maxLine: number
  highWater?: number
  /**
   * Time from the first byte of a line to its LF; off when absent. A line that misses it makes
   * `readLine()` throw `LineDeadlineError` (and keep throwing: the session should hang up).
   */
  lineDeadlineMs?: number
}

const LF = 0x0a
const CR = 0x0d

export class LineReader {
  #source: Readable | null = null
  #chunks: Buffer[] = []
  #length = 0
  /** Bytes of #chunks already scanned for LF (so a slow line is not rescanned: no O(n²)). */
  #scanned = 0
  #ended = false
  #error: Error | null = null
  #wake: (() => void) | null = null
  #skipping = false
  readonly #maxLine: number
  readonly #highWater: number
  readonly #lineDeadlineMs: number | undefined
  /** When the first byte of the line being read arrived (Date.now()), or null between lines. */
  #lineStartedAt: number | null = null
  readonly #onData = (chunk: Buffer) => this.#push(chunk)
  readonly #onEnd = () => { this.#ended = true; this.#notify() }
  readonly #onError = (error: Error) => { this.#error = error; this.#ended = true; this.#notify() }

  constructor(source: Readable, options: LineReaderOptions) {
    this.#maxLine = options.maxLine
    this.#highWater = Math.max(options.highWater ?? DEFAULT_HIGH_WATER, options.maxLine + 2)
    const deadline = options.lineDeadlineMs
    if (deadline !== undefined && !(Number.isFinite(deadline) && deadline > 0)) {
      throw new RangeError(`lineDeadlineMs must be a positive number of milliseconds, not ${deadline}`)
    }
    this.#lineDeadlineMs = deadline
    this.attach(source)
  }

  /** Reads from `source` from now on; anything buffered from the previous source is discarded. */
  attach(source: Readable): void {
    this.detach()
    this.#ended = false
    this.#error = null
    this.#source = source
    source.on('data', this.#onData)
    source.on('end', this.#onEnd)
    source.on('close', this.#onEnd)
    source.on('error', this.#onError)
    source.resume()
  }

  /** Stops reading from the current source and drops buffered bytes; returns how many were dropped. */
  detach(): number {
    const dropped = this.#length
    const source = this.#source
    if (source) {
      source.off('data', this.#onData)
      source.off('end', this.#onEnd)
      source.off('close', this.#onEnd)
      source.off('error', this.#onError)
      source.pause()
    }
    this.#source = null
    this.#chunks = []
    this.#length = 0
    this.#scanned = 0
    this.#lineStartedAt = null
    return dropped
  }

  /** Ends reading now (BYE sent, timeout): a pending or later read returns null. */
  end(): void {
    this.detach()
    this.#ended = true
    this.#notify()
  }

  /** Bytes received but not yet read (pipelined input). */
  get buffered(): number {
    return this.#length
  }

  /**
   * The next line without its line ending (CRLF, or a bare LF, tolerated as most servers do),
   * or null at end of input. Throws LineTooLongError after skipping the over-long line, and
   * LineDeadlineError when a started line is not completed within `lineDeadlineMs`.
   */
  async readLine(): Promise<Buffer | null> {
    for (;;) {
      const at = this.#findLf()
      if (at >= 0) {
        const raw = this.#take(at + 1)
        this.#lineStartedAt = null
        if (this.#skipping || at > this.#maxLine + 1) {
          this.#skipping = false
          throw new LineTooLongError(this.#maxLine)
        }
        const end = raw.length >= 2 && raw[raw.length - 2] === CR ? raw.length - 2 : raw.length - 1
        return raw.subarray(0, end)
      }
      if (this.#length > this.#maxLine + 1) {
        // Drop what we have of the over-long line; keep dropping until its LF arrives.
        this.#skipping = true
        this.#take(this.#length)
      }
      if (this.#ended) {
        if (this.#error && this.#length === 0) return null
        if (this.#length === 0 || this.#skipping) return null
        // A last line without LF before EOF: hand it over.
        return this.#take(this.#length)
      }
      if (this.#lineDeadlineMs === undefined) {
        await this.#more()
        continue
      }
      // A line is under way once any of it is here (or an over-long one is being skipped).
      if (this.#length > 0 || this.#skipping) this.#lineStartedAt ??= Date.now()
      if (this.#lineStartedAt === null) {
        await this.#more()
        continue
      }
      const left = this.#lineStartedAt + this.#lineDeadlineMs - Date.now()
      if (left <= 0) throw new LineDeadlineError(this.#lineDeadlineMs)
      await this.#more(left)
    }
  }

  /** Exactly `n` bytes (an IMAP literal), or null if input ends first. */
  async readBytes(n: number): Promise<Buffer | null> {
    if (this.#length >= n) return this.#take(n)
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    for (;;) {
      const want = Math.min(n - filled, this.#length)
      if (want > 0) {
        this.#take(want).copy(out, filled)
        filled += want
      }
      if (filled === n) return out
      if (this.#ended) return null
      await this.#more()
    }
  }

  /** Reads and drops `n` bytes without holding them (a refused non-synchronising literal). */
  async skipBytes(n: number): Promise<boolean> {
    let left = n
    for (;;) {
      const want = Math.min(left, this.#length)
      if (want > 0) {
        this.#take(want)
        left -= want
      }
      if (left === 0) return true
      if (this.#ended) return false
      await this.#more()
    }
  }

  #push(chunk: Buffer): void {
    if (this.#skipping && this.#chunks.length === 0) {
      const lf = chunk.indexOf(LF)
      if (lf < 0) return // still inside the over-long line: keep nothing
      // Keep the LF so readLine can finish the skip.
      chunk = chunk.subarray(lf)
    }
    this.#chunks.push(chunk)
    this.#length += chunk.length
    if (this.#length >= this.#highWater) this.#source?.pause()
    this.#notify()
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = null
    wake?.()
  }

  /** Waits for input, the end of it, or (with `timeoutMs`) that long, whichever comes first. */
  #more(timeoutMs?: number): Promise<void> {
    this.#source?.resume()
    if (timeoutMs === undefined) return new Promise((resolve) => { this.#wake = resolve })
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#notify(), timeoutMs)
      this.#wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  #findLf(): number {
    let offset = 0
    for (const chunk of this.#chunks) {
      if (offset + chunk.length > this.#scanned) {
        const from = Math.max(0, this.#scanned - offset)
        const i = chunk.indexOf(LF, from)
        if (i >= 0) return offset + i
      }
      offset += chunk.length
    }
    this.#scanned = offset
    return -1
  }

  /** Removes and returns the first n buffered bytes. */
  #take(n: number): Buffer {
    let out: Buffer
    const first = this.#chunks[0]
    if (first.length >= n) {
      out = first.subarray(0, n)
      if (first.length === n) this.#chunks.shift()
      else this.#chunks[0] = first.subarray(n)
    } else {
      out = Buffer.allocUnsafe(n)
      let filled = 0
      while (filled < n) {
        const chunk = this.#chunks[0]
        const want = Math.min(n - filled, chunk.length)
        chunk.copy(out, filled, 0, want)
        filled += want
        if (want === chunk.length) this.#chunks.shift()
        else this.#chunks[0] = chunk.subarray(want)
      }
    }
    this.#length -= n
    this.#scanned = Math.max(0, this.#scanned - n)
    if (this.#length < this.#highWater) this.#source?.resume()
    return out
  }
}
