/**
 * Encodes a stored message as a POP3 multi-line response body (RFC 1939 §3), chunk by chunk so
 * a 50 MB RETR is never whole in memory: lines starting with "." get one more (dot-stuffing),
 * bare LF becomes CRLF (a client must not see a line end the terminator logic cannot), and
 * `finish()` closes with CRLF "." CRLF. With `bodyLines` it stops after the header and that many
 * body lines (TOP, RFC 1939 §7).
 */
const CR = 0x0d
const LF = 0x0a
const DOT = 0x2e
const DOT_BUFFER = Buffer.from('.')
const CR_BUFFER = Buffer.from('\r')
const LF_BUFFER = Buffer.from('\n')

export class MultilineEncoder {
  #atLineStart = true
  #lastByte = -1
  #lineBytes = 0
  #inBody = false
  #bodyLinesLeft: number
  #done = false

  constructor(options: { bodyLines?: number } = {}) {
    this.#bodyLinesLeft = options.bodyLines ?? Infinity
  }

  /** True once TOP's line budget is spent: the caller may stop reading the source. */
  get done(): boolean {
    return this.#done
  }

  /** The encoded form of `chunk` (possibly empty). */
  encode(chunk: Uint8Array): Buffer {
    const out: Uint8Array[] = []
    let i = 0
    while (i < chunk.length && !this.#done) {
      if (this.#atLineStart) {
        if (chunk[i] === DOT) out.push(DOT_BUFFER)
        this.#atLineStart = false
      }
      const lf = chunk.indexOf(LF, i)
      const end = lf === -1 ? chunk.length : lf
      if (end > i) {
        out.push(chunk.subarray(i, end))
        this.#lineBytes += end - i
        this.#lastByte = chunk[end - 1]
      }
      if (lf === -1) break
      if (this.#lastByte !== CR || this.#lineBytes === 0) out.push(CR_BUFFER)
      out.push(LF_BUFFER)
      this.#endLine()
      i = lf + 1
    }
    return Buffer.concat(out)
  }

  /** The end of the response: a CRLF if the message did not end with one, then ".\r\n". */
  finish(): Buffer {
    return Buffer.from(this.#atLineStart ? '.\r\n' : '\r\n.\r\n')
  }

  #endLine(): void {
    const empty = this.#lineBytes === 0 || (this.#lineBytes === 1 && this.#lastByte === CR)
    this.#atLineStart = true
    this.#lineBytes = 0
    this.#lastByte = LF
    if (!this.#inBody) {
      if (empty) {
        this.#inBody = true
        if (this.#bodyLinesLeft === 0) this.#done = true
      }
      return
    }
    if (--this.#bodyLinesLeft <= 0) this.#done = true
  }
}
