import { decodeCharset } from './charset.ts'
import { decodeEncodedWords, hexValue, isHex } from './encoded-words.ts'
import { MAX_PARAM_CONTINUATIONS } from './limits.ts'

/** One parameter as written: lower-case name, the whole value, and the value as a token. */
export interface WrittenParam {
  name: string
  /** Unquoted value; for an unquoted one, everything up to the ';' (comments dropped). */
  value: string
  /** Unquoted value; for an unquoted one, only the token up to the first white space. */
  token: string
}

interface Segment {
  base: string
  index: number
  extended: boolean
  value: string
}

/**
 * `name*`, `name*N` or `name*N*` (RFC 2231 3 and 4) as a segment, else null. As Dovecot reads it:
 * `name*` is segment 0, extended.
 */
function segmentOf(param: WrittenParam, value: string): Segment | null {
  const star = param.name.indexOf('*')
  if (star <= 0) return null
  const base = param.name.slice(0, star)
  const rest = param.name.slice(star + 1)
  if (rest === '') return { base, index: 0, extended: true, value }
  const match = /^(\d*)(\*?)$/.exec(rest)
  if (match === null) return null
  const index = match[1] === '' ? 0 : Number(match[1])
  if (index > MAX_PARAM_CONTINUATIONS) return null
  return { base, index, extended: match[2] === '*', value }
}

/** Groups segments by name; a Map keeps hostile names like `constructor` harmless. */
function groupSegments(params: readonly WrittenParam[], useToken: boolean): { plain: WrittenParam[]; groups: Map<string, Segment[]> } {
  const plain: WrittenParam[] = []
  const groups = new Map<string, Segment[]>()
  for (const param of params) {
    const segment = segmentOf(param, useToken ? param.token : param.value)
    if (segment === null || segment.base === '__proto__') {
      plain.push(param)
      continue
    }
    let group = groups.get(segment.base)
    if (group === undefined) groups.set(segment.base, (group = []))
    group.push(segment)
  }
  for (const group of groups.values()) group.sort((a, b) => a.index - b.index)
  return { plain, groups }
}

/**
 * Parameters decoded for the program: continuations joined in index order, `charset'lang'%XX`
 * decoded (RFC 2231 4), RFC 2047 words in plain values decoded (not standard, but common). The
 * extended form wins over a plain fallback of the same name.
 */
export function decodeParams(params: readonly WrittenParam[]): Record<string, string> {
  const out: Record<string, string> = {}
  const { plain, groups } = groupSegments(params, false)
  for (const param of plain) {
    // A name with '*' that is no valid segment is broken RFC 2231: nothing a program can use.
    if (!param.name.includes('*') && !Object.hasOwn(out, param.name)) out[param.name] = decodeEncodedWords(param.value)
  }
  for (const [base, segments] of groups) out[base] = joinDecoded(segments)
  return out
}

function joinDecoded(segments: Segment[]): string {
  let charset: string | undefined
  const chunks: Buffer[] = []
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]
    if (i > 0 && segment.index === segments[i - 1].index) continue // a duplicate index is junk
    let value = segment.value
    if (segment.extended && i === 0) {
      // charset'language'value; the language is ignored (RFC 2231 4).
      const first = value.indexOf("'")
      const second = first < 0 ? -1 : value.indexOf("'", first + 1)
      if (second >= 0) {
        charset = value.slice(0, first) || undefined
        value = value.slice(second + 1)
      }
    }
    chunks.push(segment.extended ? percentDecode(value) : Buffer.from(value, 'utf8'))
  }
  return decodeCharset(Buffer.concat(chunks), charset)
}

/**
 * Parameters for IMAP BODYSTRUCTURE, as Dovecot sends them, so clients see what they already
 * handle: plain parameters first, as written; then each RFC 2231 name (sorted) merged into one
 * `name*` still in `charset'lang'%XX` form (a plain segment among extended ones gets its '%'
 * escaped, and `''` leads when the first segment is plain); a name whose indexes are not exactly
 * 0..n-1 is sent segment by segment instead.
 */
export function imapParams(params: readonly WrittenParam[]): Array<[string, string]> {
  const { plain, groups } = groupSegments(params, true)
  const out: Array<[string, string]> = plain.map((param) => [param.name, param.token])
  for (const base of [...groups.keys()].sort()) {
    const segments = groups.get(base) ?? []
    if (segments.some((segment, i) => segment.index !== i)) {
      for (const s of segments) out.push([`${base}*${s.index}${s.extended ? '*' : ''}`, s.value])
      continue
    }
    const extended = segments.some((segment) => segment.extended)
    let value = extended && !segments[0].extended ? "''" : ''
    for (const s of segments) value += extended && !s.extended ? s.value.replace(/%/g, '%25') : s.value
    out.push([extended ? `${base}*` : base, value])
  }
  return out
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
