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
  const root = info.mime
  if (section.part.length === 0) {
    if (section.text === '') return Buffer.from(await session.store.emails.body(session.account, info.blobId))
    return headerOrText(root, section, info, read)
  }
  const part = locatePart(root, section.part)
  if (!part) return null
  if (section.text === '') return read(part.bodyStart, part.bodyEnd)
  if (section.text === 'MIME') return read(part.headerStart, part.bodyStart)
  // HEADER / TEXT / HEADER.FIELDS of a part apply to an encapsulated message (message/rfc822).
  if (!part.message) return null
  return headerOrText(part.message.root, section, info, read)
}

async function headerOrText(root: MimePart, section: Section, info: MessageInfo, read: (s: number, e: number) => Promise<Buffer>): Promise<Buffer> {
  if (section.text === 'TEXT') return read(root.bodyStart, root.bodyEnd)
  const header = root === info.mime ? Buffer.from(info.header) : await read(root.headerStart, root.bodyStart)
  if (section.text === 'HEADER') return header
  return filterHeader(header, section.fields, section.text === 'HEADER.FIELDS.NOT')
}

/** The header fields named (or all but those), each with its folded continuation lines, plus the blank line. */
export function filterHeader(header: Buffer, fields: readonly string[], not: boolean): Buffer {
  const wanted = new Set(fields.map((f) => f.toLowerCase()))
  const text = header.toString('latin1')
  const out: string[] = []
  let keep = false
  for (const line of text.split(/(?<=\n)/)) {
    if (line === '\r\n' || line === '\n') break
    if (line[0] === ' ' || line[0] === '\t') {
      if (keep) out.push(line)
      continue
    }
    const colon = line.indexOf(':')
    const name = (colon > 0 ? line.slice(0, colon) : line).trim().toLowerCase()
    keep = wanted.has(name) !== not
    if (keep) out.push(line.endsWith('\n') ? line : line + '\r\n')
  }
  out.push('\r\n')
  return Buffer.from(out.join(''), 'latin1')
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
