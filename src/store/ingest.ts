import type { Envelope, MimePart, ParsedMessage } from './mime.ts'
import { firstAddrSpec, formatAddressList } from './ingest/addresses.ts'
import { baseSubject } from './ingest/base-subject.ts'
import { parseDate } from './ingest/date.ts'
import { decodeEncodedWords } from './ingest/encoded-words.ts'
import { buildEnvelope } from './ingest/envelope.ts'
import { lastField } from './ingest/header-block.ts'
import { messageIds } from './ingest/message-ids.ts'
import { parseTree } from './ingest/mime-tree.ts'
import { extractText } from './ingest/text.ts'

/**
 * Parses a message once, at delivery, into everything the protocols need without re-reading it:
 * the MIME tree with byte offsets, the IMAP envelope, decoded search and sort fields, and text for
 * the full-text index. Written over the raw bytes (not mailparser) because IMAP needs the offsets.
 * Never throws: hostile input gets a best-effort result within the limits of `ingest/limits.ts`.
 */
export function parseMessage(raw: Uint8Array): ParsedMessage {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
  try {
    return parse(buf)
  } catch {
    // Not expected (every parser here is total), but a message that got this far is stored as one
    // opaque part rather than refused.
    return fallback(buf)
  }
}

function parse(buf: Buffer): ParsedMessage {
  const { root, fields } = parseTree(buf)
  const envelope = buildEnvelope(fields)
  // An encoded-word can carry NUL (=00); it is dropped like a raw one (header-block.ts).
  const subject = envelope.subject === null ? '' : decodeEncodedWords(envelope.subject).replace(/\0/g, '')
  // In-Reply-To then References, without angle brackets, each id once (RFC 5256 3 uses both).
  const references = [...new Set([...messageIds(envelope.inReplyTo), ...messageIds(lastField(fields, 'references'))])]
  const { text, attachmentNames, preview } = extractText(buf, root)
  return {
    envelope,
    mime: root,
    header: new Uint8Array(buf.subarray(0, root.bodyStart)),
    subject,
    baseSubject: baseSubject(subject),
    sentAt: parseDate(envelope.date),
    messageId: messageIds(envelope.messageId)[0] ?? null,
    references,
    from: formatAddressList(envelope.from),
    to: formatAddressList(envelope.to),
    cc: formatAddressList(envelope.cc),
    bcc: formatAddressList(envelope.bcc),
    sortFrom: firstAddrSpec(envelope.from),
    sortTo: firstAddrSpec(envelope.to),
    sortCc: firstAddrSpec(envelope.cc),
    text,
    attachmentNames,
    preview,
  }
}

function fallback(buf: Buffer): ParsedMessage {
  const envelope: Envelope = {
    date: null, subject: null, from: [], sender: [], replyTo: [], to: [], cc: [], bcc: [], inReplyTo: null, messageId: null,
  }
  const mime: MimePart = {
    headerStart: 0, bodyStart: 0, bodyEnd: buf.length, type: 'application', subtype: 'octet-stream', params: {},
    rawParams: [], id: null, description: null, encoding: '7bit', md5: null, disposition: null, language: null,
    location: null, size: buf.length, lines: 0,
  }
  return {
    envelope, mime, header: new Uint8Array(0), subject: '', baseSubject: '', sentAt: null, messageId: null,
    references: [], from: '', to: '', cc: '', bcc: '', sortFrom: '', sortTo: '', sortCc: '', text: '',
    attachmentNames: '', preview: '',
  }
}
