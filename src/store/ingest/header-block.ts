import { MAX_HEADER_BYTES, MAX_HEADER_FIELDS } from './limits.ts'

/** One header field: name lower-cased, value unfolded (RFC 5322 2.2.3) and trimmed, still raw. */
export interface HeaderField {
  name: string
  value: string
}

export interface HeaderBlock {
  /** Offset of the first body byte: just past the blank line, or `end` when there is none. */
  bodyStart: number
  fields: HeaderField[]
}

const LF = 0x0a
const CR = 0x0d
const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Reads the header block that starts at `start`, within `[start, end)`. Lines may end in CRLF or a
 * bare LF; a part with no blank line is all header (RFC 2046 5.1.1 allows a part with no header,
 * whose first line is the blank line).
 */
export function readHeaderBlock(buf: Buffer, start: number, end: number): HeaderBlock {
  const bodyStart = findBodyStart(buf, start, end)
  const fieldsEnd = Math.min(bodyStart, start + MAX_HEADER_BYTES)
  const bytes = buf.subarray(start, fieldsEnd)
  try {
    return { bodyStart, fields: parseFields(utf8.decode(bytes)) }
  } catch {
    // Not UTF-8 as a whole (RFC 6532): read it byte for byte as Latin-1, then give each field that
    // is valid UTF-8 on its own its UTF-8 reading, so one Latin-1 field does not garble the others.
    const fields = parseFields(bytes.toString('latin1'))
    for (const field of fields) if (/[\x80-\xff]/.test(field.value)) field.value = utf8OrLatin1(field.value)
    return { bodyStart, fields }
  }
}

function utf8OrLatin1(latin1: string): string {
  try {
    return utf8.decode(Buffer.from(latin1, 'latin1'))
  } catch {
    return latin1
  }
}

function findBodyStart(buf: Buffer, start: number, end: number): number {
  if (start >= end) return end
  if (buf[start] === LF) return start + 1
  if (buf[start] === CR && start + 1 < end && buf[start + 1] === LF) return start + 2
  // A subarray bounds the search to this part, so sibling parts are never rescanned.
  const view = buf.subarray(start, end)
  const crlf = view.indexOf('\n\r\n')
  const lf = view.subarray(0, crlf < 0 ? view.length : crlf + 1).indexOf('\n\n')
  if (lf >= 0) return start + lf + 2
  if (crlf >= 0) return start + crlf + 3
  return end
}

function parseFields(text: string): HeaderField[] {
  const fields: HeaderField[] = []
  let current: HeaderField | null = null
  let pos = 0
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos)
    if (eol < 0) eol = text.length
    let line = text.slice(pos, eol)
    pos = eol + 1
    if (line.endsWith('\r')) line = line.slice(0, -1)
    if (line === '') break
    const first = line.charCodeAt(0)
    if (first === 0x20 || first === 0x09) {
      // Unfolding (RFC 5322 2.2.3); like Dovecot, a fold and the white space after it become one
      // space, so ENVELOPE strings match what clients get from it.
      if (current !== null) current.value += ' ' + line.trimStart()
      continue
    }
    current = null
    const colon = line.indexOf(':')
    if (colon <= 0) continue // garbage or an mbox "From " line: not a field
    const name = line.slice(0, colon).trimEnd() // obs-optional allows WSP before ':' (RFC 5322 4.5)
    if (name === '' || /[\s\x00-\x1f]/.test(name)) continue
    if (fields.length >= MAX_HEADER_FIELDS) break
    current = { name: name.toLowerCase(), value: line.slice(colon + 1) }
    fields.push(current)
  }
  for (const field of fields) field.value = cleanValue(field.value)
  return fields
}

function cleanValue(value: string): string {
  // A bare CR or a NUL is never valid in a header (RFC 5322 2.2); drop them rather than pass them on.
  if (value.includes('\r') || value.includes('\0')) value = value.replace(/[\r\0]/g, '')
  return value.trim()
}

/** The value of the first field named `name` (lower-case), or null. */
export function firstField(fields: readonly HeaderField[], name: string): string | null {
  for (const field of fields) if (field.name === name) return field.value
  return null
}

/** The value of the last field named `name` (lower-case), or null: Dovecot's ENVELOPE takes the last. */
export function lastField(fields: readonly HeaderField[], name: string): string | null {
  for (let i = fields.length - 1; i >= 0; i--) if (fields[i].name === name) return fields[i].value
  return null
}

/** The values of all fields named `name` (lower-case), in order. */
export function allFields(fields: readonly HeaderField[], name: string): string[] {
  const values: string[] = []
  for (const field of fields) if (field.name === name) values.push(field.value)
  return values
}
