import type { MimePart } from '../mime.ts'
import { decodeCharset } from './charset.ts'
import { decodeEncodedWords } from './encoded-words.ts'
import { htmlToText } from './html-text.ts'
import { MAX_INDEXED_TEXT } from './limits.ts'
import { decodeTransfer } from './transfer-decode.ts'

/**
 * At most this many encoded bytes of one text part are decoded. HTML is mostly markup, so its text
 * needs more source than the text budget; this bounds the work a tag- or entity-bomb can cause.
 */
const MAX_DECODED_SOURCE = 2 * MAX_INDEXED_TEXT

/** RFC 8970 3: a preview is at most 256 characters. */
const PREVIEW_LENGTH = 256

export interface ExtractedText {
  text: string
  attachmentNames: string
  preview: string
}

interface Collector {
  buf: Buffer
  chunks: string[]
  length: number
  names: string[]
  preview: string | null
}

/**
 * The searchable text of a message: every text/plain and text/html part decoded (transfer encoding,
 * then charset), attachments included, so the words of a base64 text attachment are found; HTML
 * reduced to text; encapsulated messages' subjects and text too. Non-text parts are never decoded.
 * Stops at MAX_INDEXED_TEXT.
 */
export function extractText(buf: Buffer, root: MimePart): ExtractedText {
  const collector: Collector = { buf, chunks: [], length: 0, names: [], preview: null }
  visit(collector, root)
  return {
    text: collector.chunks.join('\n'),
    attachmentNames: collector.names.join(' '),
    preview: collector.preview ?? '',
  }
}

function visit(c: Collector, part: MimePart): void {
  const name = part.disposition?.params.filename ?? part.params.name
  if (name !== undefined && name.trim() !== '') c.names.push(name.replace(/\0/g, '').trim())
  if (part.parts !== undefined) {
    for (const child of part.parts) visit(c, child)
  } else if (part.message !== undefined) {
    const subject = part.message.envelope.subject
    if (subject !== null) add(c, decodeEncodedWords(subject))
    visit(c, part.message.root)
  } else if (part.type === 'text' && (part.subtype === 'plain' || part.subtype === 'html')) {
    const remaining = MAX_INDEXED_TEXT - c.length
    if (remaining <= 0) return
    // Decode only as many encoded bytes as could fill the remaining budget (4 bytes per unit at most,
    // 4/3 for base64), so a 50 MB text attachment is not decoded to be thrown away.
    const end = Math.min(part.bodyEnd, part.bodyStart + Math.min(remaining * 6 + 1024, MAX_DECODED_SOURCE))
    const body = c.buf.subarray(part.bodyStart, end)
    let text = decodeCharset(decodeTransfer(body, part.encoding), part.params.charset)
    if (part.subtype === 'html') text = htmlToText(text)
    add(c, text)
    if (c.preview === null && part.disposition?.type !== 'attachment') {
      const preview = collapse(text.slice(0, PREVIEW_LENGTH * 4)).slice(0, PREVIEW_LENGTH)
      if (preview !== '') c.preview = preview
    }
  }
}

function add(c: Collector, text: string): void {
  const room = MAX_INDEXED_TEXT - c.length
  if (room <= 0 || text === '') return
  // NUL is dropped: it ends strings in the full-text engines' C code (SQLite FTS5, PostgreSQL).
  const chunk = (text.length > room ? text.slice(0, room) : text).replace(/\r\n?/g, '\n').replace(/\0/g, '')
  c.chunks.push(chunk)
  c.length += chunk.length + 1
}

function collapse(text: string): string {
  return text.replace(/[\s\0]+/g, ' ').trim()
}
