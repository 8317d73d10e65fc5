/**
 * Encoding of response data (RFC 9051 §4, §9): quoted strings when safe, literals otherwise,
 * NIL, atoms, flag lists and mailbox names.
 */
import { encodeMutf7 } from './utf7.ts'

/** Longest value sent quoted; longer ones go as literals (easier on clients' line buffers). */
export const MAX_QUOTED = 1024

/** A string, quoted when it can be, else a literal. `utf8`: 8-bit text may be quoted (RFC 9051, RFC 6855). */
export function encodeString(value: string, utf8 = false): string {
  // One pass over the characters (this runs ~15 times per message in FETCH ENVELOPE).
  if (value.length <= MAX_QUOTED) {
    let escapes = false
    let quotable = true
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i)
      if (c === 0x22 || c === 0x5c) escapes = true
      else if (c === 0 || c === 0x0d || c === 0x0a || (c > 0x7f && !utf8)) {
        quotable = false
        break
      }
    }
    if (quotable) return '"' + (escapes ? value.replace(/[\\"]/g, '\\$&') : value) + '"'
  }
  return `{${Buffer.byteLength(value)}}\r\n${value}`
}

export function encodeNString(value: string | null | undefined, utf8 = false): string {
  return value === null || value === undefined ? 'NIL' : encodeString(value, utf8)
}

/** astring: an atom when the value is one (RFC 9051 ATOM-CHAR), else a string. */
export function encodeAString(value: string, utf8 = false): string {
  if (value !== '' && /^[!#$&'+-Z^-z|~]+$/.test(value) && value.toUpperCase() !== 'NIL') return value
  return encodeString(value, utf8)
}

/** A mailbox name: modified UTF-7 for IMAP4rev1 sessions, UTF-8 otherwise. */
export function encodeMailbox(name: string, utf8: boolean): string {
  return encodeAString(utf8 ? name : encodeMutf7(name), utf8)
}

/** A literal header for `size` bytes that follow (`~{n}` when binary, RFC 3516). */
export function literalHeader(size: number, binary = false): string {
  return `${binary ? '~' : ''}{${size}}\r\n`
}

/** `(a b c)`. */
export function encodeList(items: readonly string[]): string {
  return '(' + items.join(' ') + ')'
}
