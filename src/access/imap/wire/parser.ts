/**
 * Typed reading of command arguments over the tokens (RFC 9051 §9): astring, mailbox, number,
 * sequence-set, date-time, flag lists. Every mistake throws ImapSyntaxError (→ BAD).
 */
import type { Token } from './tokenizer.ts'
import { ImapSyntaxError } from './syntax-error.ts'
import { decodeMutf7 } from './utf7.ts'

/** Largest number accepted where RFC 9051 says number (u32) or number64. */
export const MAX_NUMBER = 2 ** 32 - 1
export const MAX_NUMBER64 = Number.MAX_SAFE_INTEGER
/** Ranges in one sequence set (stops a "1,2,3,…" set from costing unbounded CPU per message). */
export const MAX_SEQUENCE_RANGES = 10_000

export type SeqBound = number | '*'
export interface SeqRange {
  start: SeqBound
  end: SeqBound
}
/** A parsed sequence set; `saved` is `$`, the last SEARCH result (RFC 5182). */
export type SequenceSet = { saved: true } | { saved: false; ranges: SeqRange[] }

const UTF8 = new TextDecoder('utf-8', { fatal: true })

export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return UTF8.decode(bytes)
  } catch {
    throw new ImapSyntaxError(`${what} is not valid UTF-8`)
  }
}

export function parseSequenceSet(text: string): SequenceSet {
  if (text === '$') return { saved: true }
  const parts = text.split(',')
  if (parts.length > MAX_SEQUENCE_RANGES) throw new ImapSyntaxError('Sequence set too long')
  const ranges: SeqRange[] = []
  for (const part of parts) {
    const m = /^(\d+|\*)(?::(\d+|\*))?$/.exec(part)
    if (!m) throw new ImapSyntaxError(`Bad sequence set "${text.slice(0, 40)}"`)
    const start = bound(m[1])
    const end = m[2] === undefined ? start : bound(m[2])
    ranges.push({ start, end })
  }
  return { saved: false, ranges }
}

function bound(text: string): SeqBound {
  if (text === '*') return '*'
  const n = Number(text)
  if (n < 1 || n > MAX_NUMBER) throw new ImapSyntaxError(`Bad sequence number ${text.slice(0, 20)}`)
  return n
}

export function isSequenceSet(text: string): boolean {
  return text === '$' || /^(\d+|\*)(:(\d+|\*))?(,(\d+|\*)(:(\d+|\*))?)*$/.test(text)
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
export const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** SEARCH date (`1-Feb-1994`) → 'YYYY-MM-DD'. */
export function parseSearchDate(text: string): string {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text)
  const month = m ? MONTHS.indexOf(m[2].toLowerCase()) : -1
  if (!m || month < 0 || Number(m[1]) < 1 || Number(m[1]) > 31) throw new ImapSyntaxError(`Bad date "${text.slice(0, 30)}"`)
  return `${m[3]}-${String(month + 1).padStart(2, '0')}-${m[1].padStart(2, '0')}`
}

/** APPEND date-time (`"17-Jul-1996 02:44:25 -0700"`) → ms since epoch. */
export function parseDateTime(text: string): number {
  const m = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/.exec(text)
  const month = m ? MONTHS.indexOf(m[2].toLowerCase()) : -1
  if (!m || month < 0) throw new ImapSyntaxError(`Bad date-time "${text.slice(0, 40)}"`)
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]))
  const offset = (Number(m[8]) * 60 + Number(m[9])) * 60_000 * (m[7] === '-' ? -1 : 1)
  const ms = utc - offset
  if (!Number.isFinite(ms)) throw new ImapSyntaxError('Bad date-time')
  return ms
}

/** Cursor over a command's arguments (or a list's items). */
export class ImapArgs {
  readonly #tokens: Token[]
  #at = 0
  /** Mailbox names are UTF-8 (IMAP4rev2 / UTF8=ACCEPT enabled) rather than modified UTF-7. */
  readonly utf8: boolean

  constructor(tokens: Token[], utf8: boolean) {
    this.#tokens = tokens
    this.utf8 = utf8
  }

  get done(): boolean {
    return this.#at >= this.#tokens.length
  }

  peek(): Token | undefined {
    return this.#tokens[this.#at]
  }

  /** The next token if it is an atom equal (case-insensitively) to `word`, consumed. */
  accept(word: string): boolean {
    const t = this.#tokens[this.#at]
    if (t?.type === 'atom' && t.value.toUpperCase() === word) {
      this.#at++
      return true
    }
    return false
  }

  next(what: string): Token {
    const t = this.#tokens[this.#at++]
    if (!t) throw new ImapSyntaxError(`Missing ${what}`)
    return t
  }

  atom(what: string): string {
    const t = this.next(what)
    if (t.type !== 'atom') throw new ImapSyntaxError(`Expected ${what}`)
    return t.value
  }

  /** astring / string / literal, raw bytes. */
  bytes(what: string): Buffer {
    const t = this.next(what)
    if (t.type === 'string') return t.value
    if (t.type === 'atom') return Buffer.from(t.value, 'utf8')
    throw new ImapSyntaxError(`Expected ${what}`)
  }

  /** astring as UTF-8 text. */
  string(what: string): string {
    return decodeUtf8(this.bytes(what), what)
  }

  /** nstring: NIL → null. */
  nstring(what: string): string | null {
    const t = this.peek()
    if (t?.type === 'atom' && t.value.toUpperCase() === 'NIL') {
      this.#at++
      return null
    }
    return this.string(what)
  }

  /** A mailbox name in the session's encoding, as the store spells it (INBOX upper-case, NFC). */
  mailbox(): string {
    const raw = this.string('mailbox name')
    const name = this.utf8 ? raw : decodeMutf7(raw)
    if (name.toUpperCase() === 'INBOX') return 'INBOX'
    if (/^inbox\//i.test(name)) return 'INBOX' + name.slice(5).normalize('NFC')
    return name.normalize('NFC')
  }

  list(what: string): ImapArgs {
    const t = this.next(what)
    if (t.type !== 'list') throw new ImapSyntaxError(`Expected ( ${what} )`)
    return new ImapArgs(t.items, this.utf8)
  }

  /** A parenthesised list, or a single item standing for a one-element list. */
  listOrOne(what: string): ImapArgs {
    const t = this.peek()
    if (t?.type === 'list') return this.list(what)
    this.#at++
    if (!t) throw new ImapSyntaxError(`Missing ${what}`)
    return new ImapArgs([t], this.utf8)
  }

  number(what: string, max = MAX_NUMBER): number {
    const text = this.atom(what)
    if (!/^\d{1,20}$/.test(text)) throw new ImapSyntaxError(`Expected a number for ${what}`)
    const n = Number(text)
    if (n > max) throw new ImapSyntaxError(`${what} out of range`)
    return n
  }

  sequenceSet(): SequenceSet {
    return parseSequenceSet(this.atom('sequence set'))
  }

  /** Requires that every argument was consumed. */
  end(): void {
    if (!this.done) throw new ImapSyntaxError('Unexpected extra arguments')
  }

  /** Every remaining item (for a list reader). */
  rest(): Token[] {
    const out = this.#tokens.slice(this.#at)
    this.#at = this.#tokens.length
    return out
  }
}
