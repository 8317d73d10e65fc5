import { decodeCharset } from './charset.ts'
import { decodeEncodedWords, hexValue, isHex } from './encoded-words.ts'
import { MAX_COMMENT_DEPTH, MAX_PARAM_CONTINUATIONS } from './limits.ts'

/** A Content-Type or Content-Disposition value (RFC 2045 5.1, RFC 2183 2). */
export interface StructuredValue {
  /** The value before the first ';', lower-case, white space and comments removed. */
  value: string
  /** Parameters by lower-case name, RFC 2231 continuations joined and decoded, RFC 2047 words decoded. */
  params: Record<string, string>
  /** Parameters as written: lower-case name, value unquoted. */
  rawParams: Array<[string, string]>
}

/** Parses `type/subtype; name=value; name*=utf-8''%E2%82%AC; name*0*=...` tolerantly, in linear time. */
export function parseStructured(header: string): StructuredValue {
  const reader = { text: header, pos: 0 }
  const value = readUntilSemicolon(reader).replace(/\s+/g, '').toLowerCase()
  const rawParams: Array<[string, string]> = []
  while (reader.pos < header.length) {
    reader.pos++ // the ';'
    const raw = readParam(reader)
    if (raw !== null) rawParams.push(raw)
  }
  return { value, params: joinParams(rawParams), rawParams }
}

interface Reader {
  text: string
  pos: number
}

/** Reads up to the next ';' outside quotes and comments; comments are dropped (RFC 5322 3.2.2). */
function readUntilSemicolon(reader: Reader): string {
  let out = ''
  const { text } = reader
  while (reader.pos < text.length) {
    const c = text[reader.pos]
    if (c === ';') break
    if (c === '(') {
      skipComment(reader)
      continue
    }
    if (c === '"') {
      out += readQuoted(reader)
      continue
    }
    out += c
    reader.pos++
  }
  return out.trim()
}

function readParam(reader: Reader): [string, string] | null {
  const { text } = reader
  let name = ''
  while (reader.pos < text.length) {
    const c = text[reader.pos]
    if (c === '=' || c === ';') break
    if (c === '(') skipComment(reader)
    else {
      name += c
      reader.pos++
    }
  }
  name = name.replace(/\s+/g, '').toLowerCase()
  if (text[reader.pos] !== '=') return null // a parameter with no value is junk
  reader.pos++
  skipWhite(reader)
  let value: string
  if (text[reader.pos] === '"') {
    value = readQuoted(reader)
    readUntilSemicolon(reader) // anything after the closing quote is junk
  } else {
    value = readUntilSemicolon(reader)
  }
  if (name === '' || name === '__proto__') return null
  return [name, value]
}

function skipWhite(reader: Reader): void {
  while (reader.pos < reader.text.length && /\s/.test(reader.text[reader.pos])) reader.pos++
}

/** A quoted-string (RFC 5322 3.2.4) starting at `"`; an unclosed one runs to the end. */
function readQuoted(reader: Reader): string {
  const { text } = reader
  let out = ''
  reader.pos++
  while (reader.pos < text.length) {
    const c = text[reader.pos++]
    if (c === '"') return out
    if (c === '\\' && reader.pos < text.length) out += text[reader.pos++]
    else out += c
  }
  return out
}

/** Skips a comment, nested up to MAX_COMMENT_DEPTH; an unclosed one runs to the end. */
export function skipComment(reader: Reader): void {
  const { text } = reader
  let depth = 0
  while (reader.pos < text.length) {
    const c = text[reader.pos++]
    if (c === '\\') reader.pos++
    else if (c === '(') depth = Math.min(depth + 1, MAX_COMMENT_DEPTH)
    else if (c === ')' && --depth === 0) return
  }
}

interface Segment {
  index: number
  encoded: boolean
  value: string
}

/** Joins RFC 2231 continuations (section 3) and decodes charset'language'%XX values (section 4). */
function joinParams(raw: ReadonlyArray<[string, string]>): Record<string, string> {
  const params: Record<string, string> = {}
  const extended = new Map<string, Segment[]>()
  for (const [name, value] of raw) {
    const star = name.indexOf('*')
    if (star > 0) {
      const base = name.slice(0, star)
      const rest = name.slice(star + 1)
      const match = rest === '' ? null : /^(\d+)(\*?)$/.exec(rest)
      if (rest === '' || match !== null) {
        const index = match === null ? 0 : Number(match[1])
        if (index > MAX_PARAM_CONTINUATIONS || base === '__proto__') continue
        const encoded = match === null || match[2] === '*'
        let segments = extended.get(base)
        if (segments === undefined) extended.set(base, (segments = []))
        segments.push({ index, encoded, value })
        continue
      }
    }
    if (!Object.hasOwn(params, name)) params[name] = decodeEncodedWords(value)
  }
  for (const [base, segments] of extended) {
    // The extended form wins over a plain fallback of the same name (RFC 2231 is the newer syntax).
    params[base] = joinSegments(segments)
  }
  return params
}

function joinSegments(segments: Segment[]): string {
  segments.sort((a, b) => a.index - b.index)
  let charset: string | undefined
  const chunks: Buffer[] = []
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]
    if (i > 0 && segment.index === segments[i - 1].index) continue // a duplicate index is junk
    let value = segment.value
    if (segment.encoded && i === 0) {
      // charset'language'value; the language is ignored (RFC 2231 4).
      const first = value.indexOf("'")
      const second = first < 0 ? -1 : value.indexOf("'", first + 1)
      if (second >= 0) {
        charset = value.slice(0, first) || undefined
        value = value.slice(second + 1)
      }
    }
    chunks.push(segment.encoded ? percentDecode(value) : Buffer.from(value, 'utf8'))
  }
  return decodeCharset(Buffer.concat(chunks), charset)
}

function percentDecode(value: string): Buffer {
  const src = Buffer.from(value, 'utf8')
  const out = Buffer.allocUnsafe(src.length)
  let n = 0
  for (let i = 0; i < src.length; i++) {
    const c = src[i]
    if (c === 0x25 && i + 2 < src.length && isHex(src[i + 1]) && isHex(src[i + 2])) {
      out[n++] = (hexValue(src[i + 1]) << 4) | hexValue(src[i + 2])
      i += 2
    } else out[n++] = c
  }
  return out.subarray(0, n)
}
