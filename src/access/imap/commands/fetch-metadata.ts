/**
 * FETCH items answered from the stored metadata alone (RFC 9051 §6.4.5, §7.5.2): which parts of
 * it a plan needs (so the store reads nothing else), and the whole response line without an
 * await when no item reads the message's bytes.
 */
import { isAscii } from 'node:buffer'
import type { InfoPart, MessageInfo } from '../../../store/store.ts'
import { encodeNString, literalHeader } from '../wire/encoder.ts'
import { MONTH_NAMES } from '../wire/parser.ts'
import { flagList } from '../flags.ts'
import type { FetchItem } from './fetch-items.ts'
import { encodeEnvelope } from './envelope.ts'
import { encodeBodyStructure } from './bodystructure.ts'
import { headerSection } from './fetch-body.ts'

/**
 * Literal bodies up to this size (and ASCII) are joined to the response text instead of written
 * as a Buffer of their own: the header fields of a message list are ~100 bytes.
 */
export const INLINE_LITERAL_MAX = 4096

/**
 * The costly parts of the stored metadata this plan reads (the store reads nothing else):
 * ENVELOPE needs the envelope, BODYSTRUCTURE and body parts the MIME tree, HEADER and
 * HEADER.FIELDS of the message the stored header block, BODY[] none of them.
 */
export function partsFor(plan: readonly FetchItem[]): InfoPart[] {
  const parts = new Set<InfoPart>()
  for (const item of plan) {
    if (item.kind === 'ENVELOPE') parts.add('envelope')
    else if (item.kind === 'BODY' || item.kind === 'BODYSTRUCTURE' || item.kind === 'BINARY.SIZE') parts.add('mime')
    else if (item.kind === 'PREVIEW') parts.add('preview')
    else if (item.kind === 'section') {
      const { part, text } = item.section
      if (item.binary || part.length > 0 || text === 'TEXT') parts.add('mime')
      else if (text !== '') parts.add('header')
    }
  }
  return [...parts]
}

export function internalDate(ms: number): string {
  const d = new Date(ms)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `"${pad(d.getUTCDate())}-${MONTH_NAMES[d.getUTCMonth()]}-${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000"`
}

type MetadataItem = Exclude<FetchItem, { kind: 'section' | 'BINARY.SIZE' }>

/** An item answered from the stored metadata alone. */
export function metadataItem(info: MessageInfo, item: MetadataItem, utf8: boolean): string {
  switch (item.kind) {
    case 'UID': return `UID ${info.uid}`
    case 'FLAGS': return `FLAGS ${flagList(info.keywords)}`
    case 'INTERNALDATE': return `INTERNALDATE ${internalDate(info.receivedAt)}`
    case 'RFC822.SIZE': return `RFC822.SIZE ${info.size}`
    case 'ENVELOPE': return `ENVELOPE ${encodeEnvelope(info.envelope, utf8)}`
    case 'BODY': return `BODY ${encodeBodyStructure(info.mime, false, utf8)}`
    case 'BODYSTRUCTURE': return `BODYSTRUCTURE ${encodeBodyStructure(info.mime, true, utf8)}`
    case 'MODSEQ': return `MODSEQ (${info.modseq})`
    case 'EMAILID': return `EMAILID (M${info.emailId})`
    case 'THREADID': return `THREADID (T${info.threadId})`
    case 'PREVIEW': return `PREVIEW ${encodeNString(info.preview || null, utf8)}`
  }
}

/** The message's own HEADER or HEADER.FIELDS: answered from the stored header block, no blob read. */
function isRootHeader(item: FetchItem): item is Extract<FetchItem, { kind: 'section' }> {
  return item.kind === 'section' && !item.binary && item.section.part.length === 0 && item.section.text !== '' && item.section.text !== 'TEXT'
}

export function answeredFromMetadata(item: FetchItem): boolean {
  return (item.kind !== 'section' && item.kind !== 'BINARY.SIZE') || isRootHeader(item)
}

/**
 * The whole `* n FETCH (…)` line when every item comes from metadata (answeredFromMetadata),
 * without an await; null when a header block cannot travel in the text (not ASCII, or large),
 * and writeMessage sends it instead.
 */
export function renderFromMetadata(msn: number, info: MessageInfo, plan: readonly FetchItem[], flagsChanged: boolean, utf8: boolean): string | null {
  let text = `* ${msn} FETCH (`
  let flagsSent = false
  for (let i = 0; i < plan.length; i++) {
    const item = plan[i]
    if (i > 0) text += ' '
    if (item.kind === 'section') {
      let bytes = headerSection(Buffer.from(info.header.buffer, info.header.byteOffset, info.header.byteLength), item.section)
      let label = item.label
      if (item.partial) {
        label += `<${item.partial.start}>`
        bytes = bytes.subarray(Math.min(item.partial.start, bytes.length), Math.min(item.partial.start + item.partial.length, bytes.length))
      }
      if (bytes.length > INLINE_LITERAL_MAX || !isAscii(bytes)) return null
      text += `${label} ${literalHeader(bytes.length)}${bytes.toString('latin1')}`
    } else if (item.kind !== 'BINARY.SIZE') {
      text += metadataItem(info, item, utf8)
      if (item.kind === 'FLAGS') flagsSent = true
    }
  }
  if (!flagsSent && flagsChanged) text += ` FLAGS ${flagList(info.keywords)}`
  return text + ')\r\n'
}
