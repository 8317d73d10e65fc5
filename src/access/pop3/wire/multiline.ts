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

  /**
   * The encoded form of `chunk` (possibly empty). Ordinary CRLF lines pass through as slices of
   * the input; only a leading dot or a bare LF splits the chunk (most messages have neither).
   */
  encode(chunk: Uint8Array): Buffer {
    if (this.#done) return Buffer.alloc(0)
    const out: Uint8Array[] = []
    let from = 0 // start of the input not yet copied to `out`
    let i = 0
    let end = chunk.length
    while (i < chunk.length) {
      if (this.#atLineStart) {
        this.#atLineStart = false
        if (chunk[i] === DOT) {
          out.push(chunk.subarray(from, i), DOT_BUFFER)
          from = i
        }
      }
      const lf = chunk.indexOf(LF, i)
      if (lf === -1) {
        this.#lineBytes += chunk.length - i
        this.#lastByte = chunk[chunk.length - 1]
        break
      }
      const before = lf > i ? chunk[lf - 1] : this.#lineBytes > 0 ? this.#lastByte : -1
      this.#lineBytes += lf - i
      const crlf = before === CR
      if (!crlf) {
        out.push(chunk.subarray(from, lf), CR_BUFFER)
        from = lf
      }
      i = lf + 1
      if (this.#endLine(crlf)) {
        end = i
        break
      }
    }
    out.push(chunk.subarray(from, end))
    return out.length === 1 ? Buffer.from(out[0].buffer, out[0].byteOffset, out[0].byteLength) : Buffer.concat(out)
  }

  /** The end of the response: a CRLF if the message did not end with one, then ".\r\n". */
  finish(): Buffer {
    return Buffer.from(this.#atLineStart ? '.\r\n' : '\r\n.\r\n')
  }

  /** Ends the current line; true once TOP's budget is spent. */
  #endLine(crlf: boolean): boolean {
    const empty = this.#lineBytes === 0 || (this.#lineBytes === 1 && crlf)
    this.#atLineStart = true
    this.#lineBytes = 0
    this.#lastByte = LF
    if (!this.#inBody) {
      if (empty) {
        this.#inBody = true
        if (this.#bodyLinesLeft === 0) this.#done = true
      }
    } else if (--this.#bodyLinesLeft <= 0) {
      this.#done = true
    }
    return this.#done
  }
}
