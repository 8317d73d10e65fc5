/**
 * Byte-level checks and edits of a message in transit, before it is queued: NUL detection, bare
 * line-end normalisation (SMTP smuggling defence) and header lookups. Never re-encodes anything.
 */

const CR = 0x0d
const LF = 0x0a

export function hasNul(bytes: Uint8Array): boolean {
  return bytes.indexOf(0) !== -1
}

/**
 * Turns every bare LF and bare CR into CRLF (RFC 5321 2.3.8: lines end in CRLF only).
 * smtp-server ends DATA only at <CRLF>.<CRLF>, so `<LF>.<LF>` and `<CR>.<CR>` stay inside the
 * message; normalising them means no later hop (which might accept bare LF) can see a second
 * message smuggled in ours. Returns the input itself when it is already clean.
 */
export function normalizeLineEnds(bytes: Uint8Array): Uint8Array {
  let bare = 0
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]
    if (b === LF && (i === 0 || bytes[i - 1] !== CR)) bare++
    else if (b === CR && bytes[i + 1] !== LF) bare++
  }
  if (bare === 0) return bytes
  const out = new Uint8Array(bytes.length + bare)
  let o = 0
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]
    if (b === LF && (i === 0 || bytes[i - 1] !== CR)) { out[o++] = CR; out[o++] = LF }
    else if (b === CR && bytes[i + 1] !== LF) { out[o++] = CR; out[o++] = LF }
    else out[o++] = b
  }
  return out
}

/** The header block (up to, not including, the blank line), as latin1 text for lookups. */
export function headerText(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const end = buf.indexOf('\r\n\r\n')
  return buf.toString('latin1', 0, end === -1 ? buf.length : end + 2)
}

/** The unfolded value of the first `name:` header, or null. */
/**
 * Every value of a header field, unfolded. Tolerates white space before the colon (RFC 5322
 * obs-optional, which parsers downstream accept), so a `From :` can't slip past a check.
 */
export function headerValues(header: string, name: string): string[] {
  const re = new RegExp(`^${name}[ \\t]*:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'gim')
  return [...header.matchAll(re)].map((m) => m[1].replace(/\r?\n[ \t]/g, ' ').trim())
}

export function headerValue(header: string, name: string): string | null {
  const re = new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r\\n[ \\t].*)*)`, 'im')
  const m = re.exec(header)
  return m ? m[1].replace(/\r\n[ \t]/g, ' ').trim() : null
}

/** Prepends header lines (each without its CRLF). */
export function prependHeaders(bytes: Uint8Array, lines: readonly string[]): Uint8Array {
  if (lines.length === 0) return bytes
  const head = Buffer.from(lines.map((l) => l + '\r\n').join(''), 'utf8')
  return Buffer.concat([head, bytes])
}

/** Inserts header lines at the end of the header block (after the last header line). */
export function appendHeaders(bytes: Uint8Array, lines: readonly string[]): Uint8Array {
  if (lines.length === 0) return bytes
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const end = buf.indexOf('\r\n\r\n')
  const extra = Buffer.from(lines.map((l) => l + '\r\n').join(''), 'utf8')
  if (end === -1) return Buffer.concat([buf, buf.length && !buf.subarray(-2).equals(Buffer.from('\r\n')) ? Buffer.from('\r\n') : Buffer.alloc(0), extra, Buffer.from('\r\n')])
  return Buffer.concat([buf.subarray(0, end + 2), extra, buf.subarray(end + 2)])
}

/**
 * `normalizeLineEnds` over a stream: a chunk ending in CR keeps that CR back until the next chunk
 * shows whether an LF follows, so a CRLF split across chunks is never doubled.
 */
export class LineEndNormalizer {
  #heldCr = false

  push(chunk: Uint8Array): Uint8Array {
    let bytes = chunk
    if (this.#heldCr) bytes = Buffer.concat([Uint8Array.of(CR), chunk])
    this.#heldCr = bytes.length > 0 && bytes[bytes.length - 1] === CR
    if (this.#heldCr) bytes = bytes.subarray(0, bytes.length - 1)
    return normalizeLineEnds(bytes)
  }

  /** What is held back at the end of the stream (a final bare CR becomes CRLF). */
  end(): Uint8Array {
    const held = this.#heldCr
    this.#heldCr = false
    return held ? Uint8Array.of(CR, LF) : new Uint8Array(0)
  }
}
