import { SYSTEM_KEYWORDS } from './store.ts'
import { StoreError } from './errors.ts'

/** Keywords per message: a client looping STORE +FLAGS (kN) must not grow a row without bound. */
export const MAX_KEYWORDS_PER_MESSAGE = 200
/** Longest keyword; IMAP atoms have no limit of their own. */
export const MAX_KEYWORD_LENGTH = 200

/** Bit of each system keyword in `emails.flags`. */
export const KEYWORD_BITS: Readonly<Record<string, number>> = Object.freeze({
  $seen: 1,
  $answered: 2,
  $flagged: 4,
  $deleted: 8,
  $draft: 16,
})

export const SEEN_BIT = 1
export const DELETED_BIT = 8

/**
 * Normalises a keyword list: system keywords lower-cased, others kept as first spelt but compared
 * case-insensitively (IMAP flags and JMAP keywords are case-insensitive, RFC 9051 2.3.2).
 */
export function normalizeKeywords(keywords: readonly string[]): string[] {
  const seen = new Map<string, string>()
  for (const raw of keywords) {
    if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_KEYWORD_LENGTH || /[\s\x00-\x1f\x7f()*%"\\\]{]/.test(raw)) {
      throw new StoreError('invalid', `Invalid keyword ${JSON.stringify(String(raw).slice(0, 80))}`)
    }
    const key = raw.toLowerCase()
    if (!seen.has(key)) seen.set(key, key in KEYWORD_BITS ? key : raw)
  }
  return [...seen.values()]
}

/** Splits keywords into the flags bitmask and the sorted JSON of the others (or null). */
export function toColumns(keywords: readonly string[]): { flags: number; keywords: string | null } {
  let flags = 0
  const others: string[] = []
  for (const keyword of keywords) {
    const bit = KEYWORD_BITS[keyword.toLowerCase()]
    if (bit) flags |= bit
    else others.push(keyword)
  }
  if (others.length > MAX_KEYWORDS_PER_MESSAGE) throw new StoreError('limit', `More than ${MAX_KEYWORDS_PER_MESSAGE} keywords on one message`)
  others.sort(compareKeywords)
  return { flags, keywords: others.length > 0 ? JSON.stringify(others) : null }
}

/** The keywords of a row, system ones included, sorted. */
export function fromColumns(flags: number, keywords: string | null): string[] {
  const out: string[] = []
  for (const name of SYSTEM_KEYWORDS) if (flags & KEYWORD_BITS[name]) out.push(name)
  if (keywords) out.push(...(JSON.parse(keywords) as string[]))
  return out.sort(compareKeywords)
}

function compareKeywords(a: string, b: string): number {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  return x < y ? -1 : x > y ? 1 : 0
}

/** Applies add/remove/set to a keyword list, case-insensitively. */
export function applyKeywordChange(current: readonly string[], op: 'add' | 'remove' | 'set', change: readonly string[]): string[] {
  if (op === 'set') return [...change]
  const lower = new Set(change.map((k) => k.toLowerCase()))
  if (op === 'remove') return current.filter((k) => !lower.has(k.toLowerCase()))
  const have = new Set(current.map((k) => k.toLowerCase()))
  return [...current, ...change.filter((k) => !have.has(k.toLowerCase()))]
}
