import type { MimePart } from '../mime.ts'
import { buildEnvelope } from './envelope.ts'
import { firstField, readHeaderBlock } from './header-block.ts'
import type { HeaderField } from './header-block.ts'
import { MAX_MIME_DEPTH, MAX_MIME_PARTS } from './limits.ts'
import { parseStructured } from './params.ts'
import { findPartRanges } from './multipart.ts'

export interface ParsedTree {
  root: MimePart
  /** The root header fields, for the envelope and the message's own metadata. */
  fields: HeaderField[]
}

interface Walk {
  buf: Buffer
  /** MimePart objects made so far; never more than MAX_MIME_PARTS. */
  parts: number
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/

/**
 * Builds the MIME tree of a message with the byte offsets of every part (RFC 2045, RFC 2046), so
 * IMAP BODY[1.2], BODY[1.2.MIME] and BODY[2.HEADER] are slices of the stored bytes.
 */
export function parseTree(buf: Buffer): ParsedTree {
  const walk: Walk = { buf, parts: 0 }
  return parsePart(walk, { start: 0, end: buf.length, depth: 0, inDigest: false })
}

interface Place {
  start: number
  end: number
  depth: number
  /** RFC 2046 5.1.5: in multipart/digest a part without Content-Type is message/rfc822. */
  inDigest: boolean
}

function parsePart(walk: Walk, place: Place): ParsedTree {
  walk.parts++
  const { buf } = walk
  const { start, end, depth } = place
  const { bodyStart, fields } = readHeaderBlock(buf, start, end)
  const part: MimePart = {
    headerStart: start,
    bodyStart,
    bodyEnd: end,
    ...contentType(firstField(fields, 'content-type'), place.inDigest),
    id: firstField(fields, 'content-id'),
    description: firstField(fields, 'content-description'),
    encoding: parseStructured(firstField(fields, 'content-transfer-encoding') ?? '').value || '7bit',
    md5: firstField(fields, 'content-md5'),
    disposition: disposition(firstField(fields, 'content-disposition')),
    language: language(firstField(fields, 'content-language')),
    location: firstField(fields, 'content-location'), // raw, as Dovecot sends it (RFC 2557 4.1)
    size: end - bodyStart,
    lines: 0,
  }
  // A container needs room for at least one child; past the limits it is kept opaque, as Dovecot
  // does past its nesting limit, so the tree stays within MAX_MIME_DEPTH and MAX_MIME_PARTS.
  const roomForChild = depth < MAX_MIME_DEPTH && walk.parts < MAX_MIME_PARTS
  if (part.type === 'multipart') {
    if (roomForChild) part.parts = parseChildren(walk, part, depth)
    else makeOpaque(part)
  } else if (part.type === 'message' && (part.subtype === 'rfc822' || part.subtype === 'global')) {
    // Parsed whatever its Content-Transfer-Encoding (RFC 2046 5.2.1 allows none for rfc822; RFC 6532
    // 3.5 allows them for global), as Dovecot does: the type stays true, and offsets stay slices.
    if (roomForChild) {
      const inner = parsePart(walk, { start: bodyStart, end, depth: depth + 1, inDigest: false })
      part.message = { envelope: buildEnvelope(inner.fields), root: inner.root }
      // The inner root already counted its body's lines when it is text or a message: reuse them,
      // so a chain of 32 encapsulated messages is not 32 scans of the same 20 MB.
      const root = inner.root
      const known = root.type === 'text' || root.type === 'message'
      part.lines = countLines(buf, bodyStart, root.bodyStart) + (known ? root.lines : countLines(buf, root.bodyStart, end))
      return { root: part, fields }
    } else makeOpaque(part)
  }
  if (part.type === 'text' || part.type === 'message') part.lines = countLines(buf, bodyStart, end)
  return { root: part, fields }
}

function parseChildren(walk: Walk, part: MimePart, depth: number): MimePart[] {
  // The boundary as written: an RFC 2047-looking boundary must not be decoded.
  const boundary = part.rawParams.find(([name]) => name === 'boundary')?.[1] ?? part.params.boundary
  const limit = MAX_MIME_PARTS - walk.parts
  const ranges = boundary ? findPartRanges(walk.buf, { start: part.bodyStart, end: part.bodyEnd, boundary, limit }) : []
  const children: MimePart[] = []
  const inDigest = part.subtype === 'digest'
  for (const [start, end] of ranges) {
    if (walk.parts >= MAX_MIME_PARTS) break
    children.push(parsePart(walk, { start, end, depth: depth + 1, inDigest }).root)
  }
  if (children.length === 0) {
    // A multipart with no parts (no boundary, or none found) cannot be sent in BODYSTRUCTURE;
    // like Dovecot, show one empty text/plain part at the end of its body.
    walk.parts++
    children.push(emptyTextPart(part.bodyEnd))
  }
  return children
}

function makeOpaque(part: MimePart): void {
  part.type = 'application'
  part.subtype = 'octet-stream'
}

type ContentType = Pick<MimePart, 'type' | 'subtype' | 'params' | 'rawParams'>

/** RFC 2045 5.2: no Content-Type, or one we cannot read, means text/plain; charset=us-ascii. */
function contentType(value: string | null, inDigest: boolean): ContentType {
  if (value !== null) {
    const parsed = parseStructured(value)
    const slash = parsed.value.indexOf('/')
    const type = parsed.value.slice(0, slash)
    const subtype = parsed.value.slice(slash + 1)
    if (slash > 0 && TOKEN.test(type) && TOKEN.test(subtype)) {
      const { params, rawParams } = parsed
      // Text without a charset is us-ascii (RFC 2046 4.1.2); say so, as Dovecot's BODYSTRUCTURE does.
      if (type === 'text' && params.charset === undefined) params.charset = 'us-ascii'
      if (type === 'text' && !rawParams.some(([name]) => name === 'charset')) rawParams.push(['charset', 'us-ascii'])
      return { type, subtype, params, rawParams }
    }
  }
  if (inDigest && value === null) return { type: 'message', subtype: 'rfc822', params: {}, rawParams: [] }
  return { type: 'text', subtype: 'plain', params: { charset: 'us-ascii' }, rawParams: [['charset', 'us-ascii']] }
}

function disposition(value: string | null): MimePart['disposition'] {
  if (value === null) return null
  const parsed = parseStructured(value)
  if (parsed.value === '') return null
  return { type: parsed.value, params: parsed.params, rawParams: parsed.rawParams }
}

/** Language tags (RFC 3282) as written, comments dropped; IMAP sends them as they are. */
function language(value: string | null): string[] | null {
  if (value === null) return null
  const tags = value.replace(/\([^()]*\)/g, ' ').split(',').map((tag) => tag.trim()).filter((tag) => tag !== '')
  return tags.length > 0 ? tags : null
}

function emptyTextPart(at: number): MimePart {
  return {
    headerStart: at, bodyStart: at, bodyEnd: at, type: 'text', subtype: 'plain',
    params: { charset: 'us-ascii' }, rawParams: [['charset', 'us-ascii']], id: null, description: null,
    encoding: '7bit', md5: null, disposition: null, language: null, location: null, size: 0, lines: 0,
  }
}

/** Line count as Dovecot reports it in BODYSTRUCTURE: the LFs in the body. */
function countLines(buf: Buffer, start: number, end: number): number {
  const view = buf.subarray(start, end)
  let lines = 0
  let pos = view.indexOf(0x0a)
  while (pos >= 0) {
    lines++
    pos = view.indexOf(0x0a, pos + 1)
  }
  return lines
}
