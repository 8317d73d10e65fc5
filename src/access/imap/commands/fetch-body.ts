/**
 * BODY[section] and BINARY[section] (RFC 9051 §6.4.5, RFC 3516): section → byte range of the
 * stored message from the MIME offsets computed at delivery, read as a range from the blob.
 */
import { decode as decodeQp } from 'libqp'
import type { MimePart } from '../../../store/mime.ts'
import type { MessageInfo } from '../../../store/store.ts'
import type { ImapSession } from '../session.ts'
import type { Section } from './fetch-items.ts'
import { ImapError } from '../responses.ts'

/** The part a section's numbers address (RFC 9051 §6.4.5 part numbering), or null. */
export function locatePart(root: MimePart, path: readonly number[]): MimePart | null {
  let cur: MimePart | undefined = root
  let atMessage = true
  for (const n of path) {
    if (!cur) return null
    if (!atMessage && cur.message && !cur.parts?.length) {
      cur = cur.message.root
      atMessage = true
    }
    if (cur.parts && cur.parts.length) cur = cur.parts[n - 1]
    else if (n === 1 && atMessage) cur = cur as MimePart
    else return null
    atMessage = false
  }
  return cur ?? null
}

/** The bytes of a BODY[section] (before any partial). Null when the part does not exist. */
export async function sectionBytes(session: ImapSession, info: MessageInfo, section: Section): Promise<Buffer | null> {
  const read = async (start: number, end: number) => Buffer.from(await session.store.emails.body(session.account, info.blobId, { start, end }))
  if (section.part.length === 0) {
    if (section.text === '') return Buffer.from(await session.store.emails.body(session.account, info.blobId))
    // The root's header is stored apart: HEADER and HEADER.FIELDS read neither the blob nor the
    // MIME tree (a message list's FETCH BODY.PEEK[HEADER.FIELDS (…)] over a whole folder).
    if (section.text !== 'TEXT') return headerSection(asBuffer(info.header), section)
    return read(info.mime.bodyStart, info.mime.bodyEnd)
  }
  const part = locatePart(info.mime, section.part)
  if (!part) return null
  if (section.text === '') return read(part.bodyStart, part.bodyEnd)
  if (section.text === 'MIME') return read(part.headerStart, part.bodyStart)
  // HEADER / TEXT / HEADER.FIELDS of a part apply to an encapsulated message (message/rfc822).
  if (!part.message) return null
  const root = part.message.root
  if (section.text === 'TEXT') return read(root.bodyStart, root.bodyEnd)
  return headerSection(await read(root.headerStart, root.bodyStart), section)
}

/** HEADER, HEADER.FIELDS or HEADER.FIELDS.NOT of a header block. */
export function headerSection(header: Buffer, section: Section): Buffer {
  if (section.text === 'HEADER') return header
  return filterHeader(header, section.fields, section.text === 'HEADER.FIELDS.NOT')
}

/** A Buffer view of stored bytes, without a copy. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

const LF = 0x0a
const CR = 0x0d
const COLON = 0x3a
const CRLF = Buffer.from('\r\n')

/**
 * The header fields named (or all but those), each with its folded continuation lines, plus the
 * blank line (RFC 9051 §6.4.5 HEADER.FIELDS). Works on the bytes: a line is kept or not by
 * comparing its field name (trimmed, ASCII case-insensitive) with the names asked, without
 * decoding the header into a string; kept lines are copied once.
 */
export function filterHeader(header: Uint8Array, fields: readonly string[], not: boolean): Buffer {
  const src = asBuffer(header)
  let wanted = lowerNames.get(fields)
  if (!wanted) {
    wanted = fields.map((f) => Buffer.from(f.toLowerCase(), 'latin1'))
    lowerNames.set(fields, wanted)
  }
  // No header at all is one empty line without its end: a field named '' (never asked for).
  if (src.length === 0) return Buffer.from(not ? '\r\n\r\n' : '\r\n')
  const out: Uint8Array[] = []
  let keep = false
  let runStart = -1 // start of the run of kept lines not yet copied to `out`
  let pos = 0
  while (pos < src.length) {
    const lf = src.indexOf(LF, pos)
    const end = lf === -1 ? src.length : lf + 1
    const first = src[pos]
    if (first === LF || (first === CR && end === pos + 2 && lf !== -1)) break
    if (first !== 0x20 && first !== 0x09) {
      const colon = src.indexOf(COLON, pos)
      const nameEnd = colon > pos && colon < end ? colon : end
      keep = nameIn(src, pos, nameEnd, wanted) !== not
    }
    if (keep && runStart === -1) runStart = pos
    if (!keep && runStart !== -1) {
      out.push(src.subarray(runStart, pos))
      runStart = -1
    }
    pos = end
    if (lf === -1 && runStart !== -1) {
      // A last field line without its line end gets one (a continuation line never did).
      out.push(src.subarray(runStart, end))
      if (first !== 0x20 && first !== 0x09) out.push(CRLF)
      runStart = -1
    }
  }
  if (runStart !== -1) out.push(src.subarray(runStart, pos))
  out.push(CRLF)
  return Buffer.concat(out)
}

/** The names of a field list as lower-case bytes, made once per FETCH (its list is one array). */
const lowerNames = new WeakMap<readonly string[], Buffer[]>()

/** JS `trim()`'s whitespace among latin1 bytes. */
function isSpace(b: number): boolean {
  return (b >= 0x09 && b <= 0x0d) || b === 0x20 || b === 0xa0
}

/** Is src[start, end) — trimmed — one of `names` (lower-case ASCII), ignoring ASCII case? */
function nameIn(src: Buffer, start: number, end: number, names: readonly Buffer[]): boolean {
  while (start < end && isSpace(src[start])) start++
  while (end > start && isSpace(src[end - 1])) end--
  const length = end - start
  outer: for (const name of names) {
    if (name.length !== length) continue
    for (let i = 0; i < length; i++) {
      let b = src[start + i]
      if (b >= 0x41 && b <= 0x5a) b |= 0x20
      if (b !== name[i]) continue outer
    }
    return true
  }
  return false
}

/** BINARY[part]: the part's body with its Content-Transfer-Encoding undone (RFC 3516). */
export async function binaryBytes(session: ImapSession, info: MessageInfo, section: Section): Promise<Buffer | null> {
  const part = section.part.length ? locatePart(info.mime, section.part) : info.mime
  if (!part) return null
  if (part.parts?.length) throw new ImapError('NO', 'UNKNOWN-CTE', 'BINARY of a multipart is not defined')
  const raw = Buffer.from(await session.store.emails.body(session.account, info.blobId, { start: part.bodyStart, end: part.bodyEnd }))
  switch (part.encoding) {
    case '7bit': case '8bit': case 'binary': return raw
    case 'base64': return Buffer.from(raw.toString('latin1').replace(/[^A-Za-z0-9+/]/g, ''), 'base64')
    case 'quoted-printable': return decodeQp(raw)
    default: throw new ImapError('NO', 'UNKNOWN-CTE', `Unknown Content-Transfer-Encoding ${part.encoding.slice(0, 30)}`)
  }
}
