/**
 * FETCH data items (RFC 9051 §6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ, RFC 8474 EMAILID/THREADID,
 * RFC 8970 PREVIEW): parsing into a plan the fetch loop runs per message.
 */
import type { ImapArgs } from '../wire/parser.ts'
import { tokenize } from '../wire/tokenizer.ts'
import { ImapSyntaxError } from '../wire/syntax-error.ts'

/** MIME nesting addressed by a section (a deeper path cannot exist in a stored message anyway). */
export const MAX_SECTION_DEPTH = 64
/** Items in one FETCH (each costs work per message). */
export const MAX_FETCH_ITEMS = 100

export interface Section {
  /** Part numbers, e.g. [1, 2] for "1.2"; [] for the whole message. */
  part: number[]
  text: '' | 'HEADER' | 'TEXT' | 'MIME' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT'
  fields: string[]
}

export type FetchItem =
  | { kind: 'UID' | 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODY' | 'BODYSTRUCTURE' | 'MODSEQ' | 'EMAILID' | 'THREADID' | 'PREVIEW' }
  | {
    kind: 'section'
    /** The name echoed in the response, without the partial: `BODY[1.2]`, `RFC822.HEADER`, `BINARY[1]`. */
    label: string
    section: Section
    peek: boolean
    binary: boolean
    partial: { start: number; length: number } | null
  }
  | { kind: 'BINARY.SIZE'; label: string; section: Section }

const MACROS: Record<string, string[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
}

const SIMPLE = new Set(['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY', 'BODYSTRUCTURE', 'MODSEQ', 'EMAILID', 'THREADID', 'PREVIEW'])

/** Reads the item list (one item, a macro, or a parenthesised list). */
export function parseFetchItems(args: ImapArgs): FetchItem[] {
  const first = args.peek()
  const names: string[] = []
  if (first?.type === 'atom' && MACROS[first.value.toUpperCase()]) {
    names.push(...MACROS[args.atom('macro').toUpperCase()])
  } else {
    const list = args.listOrOne('fetch items')
    while (!list.done) {
      const name = list.atom('fetch item')
      // PREVIEW (LAZY) modifiers (RFC 8970 §3.1): accepted, we always have the preview.
      if (name.toUpperCase() === 'PREVIEW' && list.peek()?.type === 'list') list.list('preview modifiers')
      names.push(name)
    }
  }
  if (names.length === 0) throw new ImapSyntaxError('FETCH needs items')
  if (names.length > MAX_FETCH_ITEMS) throw new ImapSyntaxError('Too many FETCH items')
  return names.map(parseItem)
}

export function parseItem(raw: string): FetchItem {
  const upper = raw.toUpperCase()
  if (SIMPLE.has(upper)) return { kind: upper as 'UID' }
  if (upper === 'RFC822') return { kind: 'section', label: 'RFC822', section: whole(''), peek: false, binary: false, partial: null }
  if (upper === 'RFC822.HEADER') return { kind: 'section', label: 'RFC822.HEADER', section: whole('HEADER'), peek: true, binary: false, partial: null }
  if (upper === 'RFC822.TEXT') return { kind: 'section', label: 'RFC822.TEXT', section: whole('TEXT'), peek: false, binary: false, partial: null }
  const m = /^(BODY|BODY\.PEEK|BINARY|BINARY\.PEEK|BINARY\.SIZE)\[(.*)\](?:<(\d+)(?:\.(\d+))?>)?$/is.exec(raw)
  if (!m) throw new ImapSyntaxError(`Unknown FETCH item ${raw.slice(0, 40)}`)
  const verb = m[1].toUpperCase()
  const binary = verb.startsWith('BINARY')
  const section = parseSection(m[2], binary)
  const label = `${binary ? 'BINARY' : 'BODY'}[${sectionText(section)}]`
  if (verb === 'BINARY.SIZE') {
    if (m[3] !== undefined) throw new ImapSyntaxError('BINARY.SIZE takes no partial')
    return { kind: 'BINARY.SIZE', label: `BINARY.SIZE[${sectionText(section)}]`, section }
  }
  let partial: { start: number; length: number } | null = null
  if (m[3] !== undefined) {
    if (m[4] === undefined) throw new ImapSyntaxError('Partial needs <offset.length>')
    const start = Number(m[3])
    const length = Number(m[4])
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || length < 1) throw new ImapSyntaxError('Bad partial')
    partial = { start, length }
  }
  return { kind: 'section', label, section, peek: verb.endsWith('.PEEK'), binary, partial }
}

function whole(text: Section['text']): Section {
  return { part: [], text, fields: [] }
}

export function parseSection(inner: string, binary: boolean): Section {
  if (inner === '') return whole('')
  const tokens = tokenize({ lines: [Buffer.from(inner, 'utf8')], literals: [] })
  const head = tokens[0]
  if (head?.type !== 'atom') throw new ImapSyntaxError('Bad section')
  const m = /^(?:([1-9]\d*(?:\.[1-9]\d*)*)(?:\.(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME))?|(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT))$/i.exec(head.value)
  if (!m) throw new ImapSyntaxError(`Bad section ${inner.slice(0, 40)}`)
  const part = m[1] ? m[1].split('.').map(Number) : []
  if (part.length > MAX_SECTION_DEPTH) throw new ImapSyntaxError('Section too deep')
  const text = ((m[2] ?? m[3])?.toUpperCase() ?? '') as Section['text']
  if (binary && text !== '') throw new ImapSyntaxError('BINARY takes part numbers only')
  const fields: string[] = []
  if (text === 'HEADER.FIELDS' || text === 'HEADER.FIELDS.NOT') {
    const list = tokens[1]
    if (list?.type !== 'list' || list.items.length === 0) throw new ImapSyntaxError('HEADER.FIELDS needs a field list')
    for (const item of list.items) {
      const name = item.type === 'atom' ? item.value : item.type === 'string' ? item.value.toString('latin1') : ''
      if (!/^[!-9;-~]+$/.test(name)) throw new ImapSyntaxError('Bad header field name')
      fields.push(name)
    }
    if (tokens.length > 2) throw new ImapSyntaxError('Bad section')
  } else if (tokens.length > 1) throw new ImapSyntaxError('Bad section')
  return { part, text, fields }
}

/** The section as echoed back (RFC 9051 §7.5.2: field names as the client gave them, upper-cased). */
export function sectionText(section: Section): string {
  const parts = section.part.join('.')
  const text = section.text ? (parts ? '.' : '') + section.text : ''
  const fields = section.fields.length ? ` (${section.fields.map((f) => f.toUpperCase()).join(' ')})` : ''
  return parts + text + fields
}
