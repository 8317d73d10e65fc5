import { hexValue, isHex } from './encoded-words.ts'

/**
 * Decodes a body in its Content-Transfer-Encoding (RFC 2045 6). Broken input never throws: bad
 * base64 characters are skipped, a broken `=` in quoted-printable stays as written (RFC 2045 6.7
 * note 2 recommends exactly that). Unknown encodings pass through.
 */
export function decodeTransfer(body: Buffer, encoding: string): Buffer {
  if (encoding === 'base64') return Buffer.from(body.toString('latin1'), 'base64')
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body)
  return body
}

function decodeQuotedPrintable(src: Buffer): Buffer {
  const out = Buffer.allocUnsafe(src.length)
  let n = 0
  const len = src.length
  for (let i = 0; i < len; i++) {
    const c = src[i]
    if (c !== 0x3d) {
      out[n++] = c
      continue
    }
    const a = src[i + 1]
    const b = src[i + 2]
    if (i + 2 < len && isHex(a) && isHex(b)) {
      out[n++] = (hexValue(a) << 4) | hexValue(b)
      i += 2
      continue
    }
    // A soft line break: '=' then optional transport padding then (CR)LF (RFC 2045 6.7 rule 5).
    let j = i + 1
    while (j < len && (src[j] === 0x20 || src[j] === 0x09)) j++
    if (j < len && src[j] === 0x0d && src[j + 1] === 0x0a) j++
    if (j >= len || src[j] === 0x0a) {
      i = j
      continue
    }
    out[n++] = c
  }
  return out.subarray(0, n)
}
