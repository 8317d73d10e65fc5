import { decodeCharset } from './charset.ts'

/** RFC 2047 2: an encoded-word is at most 75 characters; we allow more, but not without bound. */
const MAX_ENCODED_WORD = 2048

interface Word {
  start: number
  end: number
  charset: string
  bytes: Buffer[]
}

/**
 * Decodes RFC 2047 encoded-words in a header value. White space between two adjacent encoded-words
 * is dropped (RFC 2047 6.2), and adjacent words in the same charset are joined before decoding so a
 * character split across two words survives. Malformed words are left as written. Linear time.
 */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value
  let out = ''
  let pos = 0
  let pending: Word | null = null
  let search = 0
  while (true) {
    const start = value.indexOf('=?', search)
    const word = start < 0 ? null : readWord(value, start)
    if (word === null) {
      if (start < 0) break
      search = start + 2
      continue
    }
    const gap = value.slice(pos, word.start)
    if (pending !== null && /^[ \t]*$/.test(gap) && pending.charset === word.charset) {
      pending.bytes.push(...word.bytes)
      pending.end = word.end
    } else if (pending !== null && /^[ \t]*$/.test(gap)) {
      out += decodeWord(pending)
      pending = word
    } else {
      if (pending !== null) out += decodeWord(pending)
      out += gap
      pending = word
    }
    pos = word.end
    search = word.end
  }
  if (pending !== null) out += decodeWord(pending)
  return out + value.slice(pos)
}

function decodeWord(word: Word): string {
  return decodeCharset(word.bytes.length === 1 ? word.bytes[0] : Buffer.concat(word.bytes), word.charset)
}

function readWord(value: string, start: number): Word | null {
  // Every search is bounded to a window after `start`, so many unclosed words stay linear.
  const q1 = indexWithin(value, '?', start + 2, start + 80)
  if (q1 < 0) return null
  // RFC 2231 5: a language may follow the charset after '*'.
  const charset = value.slice(start + 2, q1).split('*')[0].toLowerCase()
  if (charset === '' || /[\s"(),:;<>@[\]]/.test(charset)) return null
  const encoding = value.charAt(q1 + 1).toUpperCase()
  if ((encoding !== 'Q' && encoding !== 'B') || value.charAt(q1 + 2) !== '?') return null
  const textStart = q1 + 3
  const close = indexWithin(value, '?=', textStart, start + MAX_ENCODED_WORD)
  if (close < 0) return null
  const text = value.slice(textStart, close)
  // Encoded-text never holds '?' (RFC 2047 2); B never holds spaces. Q words with spaces, though
  // invalid, are common enough to accept.
  if (text.includes('?') || (encoding === 'B' && /[ \t]/.test(text))) return null
  const bytes = encoding === 'B' ? Buffer.from(text, 'base64') : decodeQ(text)
  return { start, end: close + 2, charset, bytes: [bytes] }
}

function indexWithin(value: string, needle: string, from: number, to: number): number {
  const found = value.slice(from, to).indexOf(needle)
  return found < 0 ? -1 : from + found
}

/** The "Q" encoding (RFC 2047 4.2): `_` is a space, `=XX` a byte; a broken `=` stays as written. */
function decodeQ(text: string): Buffer {
  const src = Buffer.from(text, 'utf8')
  const out = Buffer.allocUnsafe(src.length)
  let n = 0
  for (let i = 0; i < src.length; i++) {
    const c = src[i]
    if (c === 0x5f) out[n++] = 0x20
    else if (c === 0x3d && i + 2 < src.length && isHex(src[i + 1]) && isHex(src[i + 2])) {
      out[n++] = (hexValue(src[i + 1]) << 4) | hexValue(src[i + 2])
      i += 2
    } else out[n++] = c
  }
  return out.subarray(0, n)
}

export function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

export function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57
}
