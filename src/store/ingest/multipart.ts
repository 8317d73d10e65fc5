const LF = 0x0a
const CR = 0x0d
const HYPHEN = 0x2d

/** bchars without the space (RFC 2046 5.1.1): DIGIT / ALPHA / "'()+_,-./:=?". */
const BCHARS = new Uint8Array(256)
for (const c of "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?") BCHARS[c.charCodeAt(0)] = 1

function isBoundaryChar(byte: number): boolean {
  return BCHARS[byte] === 1
}

/**
 * The `[start, end)` ranges of the body parts of a multipart body (RFC 2046 5.1.1). The CRLF before
 * a delimiter belongs to the delimiter; the preamble and epilogue belong to no part; a missing close
 * delimiter ends the last part at the end of the body. A delimiter line starts `--boundary`, then
 * `--` (close) or anything but another boundary character. Found with Buffer.indexOf, so a 20 MB
 * base64 part costs one native scan, never a regex over the body.
 */
export function findPartRanges(
  buf: Buffer,
  options: { start: number; end: number; boundary: string; limit: number },
): Array<[number, number]> {
  const { start, end } = options
  const view = buf.subarray(start, end)
  const delimiter = Buffer.from(`--${options.boundary}`, 'utf8')
  const ranges: Array<[number, number]> = []
  const len = view.length
  let partStart = -1
  let pos = 0
  while (pos < len && ranges.length < options.limit) {
    const hit = view.indexOf(delimiter, pos)
    if (hit < 0) break
    pos = hit + 1
    if (hit > 0 && view[hit - 1] !== LF) continue // a delimiter starts a line
    const after = hit + delimiter.length
    const close = view[after] === HYPHEN && view[after + 1] === HYPHEN
    // RFC 2046 5.1.1 lets the boundary match the start of a line, whatever follows it (Dovecot
    // does so); but a following boundary character may make it a longer, nested boundary.
    if (!close && after < len && isBoundaryChar(view[after])) continue
    const eol = view.indexOf(LF, after)
    const lineEnd = eol < 0 ? len : eol + 1
    if (partStart >= 0) {
      let partEnd = hit
      if (partEnd > 0 && view[partEnd - 1] === LF) {
        partEnd--
        if (partEnd > 0 && view[partEnd - 1] === CR) partEnd--
      }
      ranges.push([start + partStart, start + Math.max(partStart, partEnd)])
    }
    if (close) {
      partStart = -1
      break
    }
    partStart = lineEnd
    pos = lineEnd
  }
  if (partStart >= 0 && ranges.length < options.limit) ranges.push([start + partStart, start + len])
  return ranges
}
