import { MAX_COMMENT_DEPTH } from './limits.ts'
import { decodeParams, imapParams } from './rfc2231.ts'
import type { WrittenParam } from './rfc2231.ts'

/** A Content-Type or Content-Disposition value (RFC 2045 5.1, RFC 2183 2). */
export interface StructuredValue {
  /** The value before the first ';', lower-case, white space and comments removed. */
  value: string
  /** Parameters by lower-case name, RFC 2231 continuations joined and decoded, RFC 2047 words decoded. */
  params: Record<string, string>
  /** Parameters for IMAP BODYSTRUCTURE, as Dovecot sends them (see `imapParams`). */
  rawParams: Array<[string, string]>
}

/** Parses `type/subtype; name=value; name*=utf-8''%E2%82%AC; name*0*=...` tolerantly, in linear time. */
export function parseStructured(header: string): StructuredValue {
  const reader = { text: header, pos: 0 }
  const value = readUntilSemicolon(reader).replace(/\s+/g, '').toLowerCase()
  const written: WrittenParam[] = []
  while (reader.pos < header.length) {
    reader.pos++ // the ';'
    const param = readParam(reader)
    if (param !== null) written.push(param)
  }
  return { value, params: decodeParams(written), rawParams: imapParams(written) }
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

function readParam(reader: Reader): WrittenParam | null {
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
  let token: string
  if (text[reader.pos] === '"') {
    value = token = readQuoted(reader)
    readUntilSemicolon(reader) // anything after the closing quote is junk
  } else {
    // An unquoted value is a token (RFC 2045 5.1), which ends at white space; Dovecot sends just
    // that. Decoded, the whole rest is kept: `filename=my report.pdf` is a common mistake.
    value = readUntilSemicolon(reader)
    token = /^[^\s"]*/.exec(value)?.[0] ?? ''
  }
  if (name === '' || name === '__proto__') return null
  return { name, value, token }
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
function skipComment(reader: Reader): void {
  const { text } = reader
  let depth = 0
  while (reader.pos < text.length) {
    const c = text[reader.pos++]
    if (c === '\\') reader.pos++
    else if (c === '(') depth = Math.min(depth + 1, MAX_COMMENT_DEPTH)
    else if (c === ')' && --depth === 0) return
  }
}
