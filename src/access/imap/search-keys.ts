/**
 * SEARCH keys (RFC 9051 §6.4.4, RFC 7162 MODSEQ, RFC 8474 EMAILID/THREADID) → the store's
 * `SearchKey`. Shared by SEARCH, SORT and THREAD.
 */
import type { SearchKey, UidRange } from '../../store/store.ts'
import type { ImapArgs } from './wire/parser.ts'
import { parseSearchDate, parseSequenceSet, isSequenceSet } from './wire/parser.ts'
import { ImapSyntaxError } from './wire/syntax-error.ts'
import { ImapError } from './responses.ts'
import { flagToKeyword } from './flags.ts'
import type { ImapSession } from './session.ts'

/** Nesting of NOT/OR/( ) (stops stack exhaustion by "NOT NOT NOT …"). */
export const MAX_SEARCH_DEPTH = 32
/** Keys in one SEARCH (each becomes SQL work). */
export const MAX_SEARCH_KEYS = 500

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['$answered', true], UNANSWERED: ['$answered', false],
  DELETED: ['$deleted', true], UNDELETED: ['$deleted', false],
  DRAFT: ['$draft', true], UNDRAFT: ['$draft', false],
  FLAGGED: ['$flagged', true], UNFLAGGED: ['$flagged', false],
  SEEN: ['$seen', true], UNSEEN: ['$seen', false],
}
const HEADER_KEYS = new Set(['BCC', 'CC', 'FROM', 'SUBJECT', 'TO'])
const DATE_KEYS: Record<string, ['received' | 'sent', 'before' | 'on' | 'since']> = {
  BEFORE: ['received', 'before'], ON: ['received', 'on'], SINCE: ['received', 'since'],
  SENTBEFORE: ['sent', 'before'], SENTON: ['sent', 'on'], SENTSINCE: ['sent', 'since'],
}
const NOTHING: SearchKey = { not: { all: true } }

/** Reads `[CHARSET x] key…` until the end of args; throws BAD/NO [BADCHARSET]. */
export function parseSearch(session: ImapSession, args: ImapArgs): SearchKey {
  if (args.accept('CHARSET')) {
    const charset = args.string('charset').toUpperCase()
    if (charset !== 'UTF-8' && charset !== 'US-ASCII') throw new ImapError('NO', 'BADCHARSET (UTF-8 US-ASCII)', 'Unsupported charset')
  }
  const keys: SearchKey[] = []
  const counter = { keys: 0 }
  while (!args.done) keys.push(parseKey(session, args, 0, counter))
  if (!keys.length) throw new ImapSyntaxError('SEARCH needs a key')
  return keys.length === 1 ? keys[0] : { and: keys }
}

function parseKey(session: ImapSession, args: ImapArgs, depth: number, counter: { keys: number }): SearchKey {
  if (depth > MAX_SEARCH_DEPTH) throw new ImapSyntaxError('Search keys nested too deeply')
  if (++counter.keys > MAX_SEARCH_KEYS) throw new ImapSyntaxError('Too many search keys')
  const t = args.peek()
  if (t?.type === 'list') {
    const inner = args.list('search keys')
    const keys: SearchKey[] = []
    while (!inner.done) keys.push(parseKey(session, inner, depth + 1, counter))
    if (!keys.length) throw new ImapSyntaxError('Empty search key list')
    return keys.length === 1 ? keys[0] : { and: keys }
  }
  const word = args.atom('search key')
  const key = word.toUpperCase()
  const view = session.selected
  if (FLAG_KEYS[key]) return { keyword: FLAG_KEYS[key][0], present: FLAG_KEYS[key][1] }
  if (HEADER_KEYS.has(key)) return { header: key.toLowerCase(), contains: args.string('search string') }
  if (DATE_KEYS[key]) {
    const [date, op] = DATE_KEYS[key]
    return { date, op, day: parseSearchDate(args.string('date')) }
  }
  switch (key) {
    case 'ALL': case 'OLD': return { all: true }
    // \Recent does not exist here (RFC 9051 removed it): NEW and RECENT match nothing.
    case 'NEW': case 'RECENT': return NOTHING
    case 'KEYWORD': return { keyword: flagToKeyword(args.atom('keyword')), present: true }
    case 'UNKEYWORD': return { keyword: flagToKeyword(args.atom('keyword')), present: false }
    case 'BODY': return { text: 'body', contains: args.string('search string') }
    case 'TEXT': return { text: 'text', contains: args.string('search string') }
    case 'HEADER': {
      const field = args.string('header field').toLowerCase()
      if (!/^[!-9;-~]+$/.test(field)) throw new ImapSyntaxError('Bad header field name')
      return { header: field, contains: args.string('search string') }
    }
    case 'LARGER': return { size: 'larger', bytes: args.number('size', Number.MAX_SAFE_INTEGER) }
    case 'SMALLER': return { size: 'smaller', bytes: args.number('size', Number.MAX_SAFE_INTEGER) }
    case 'NOT': return { not: parseKey(session, args, depth + 1, counter) }
    case 'OR': return { or: [parseKey(session, args, depth + 1, counter), parseKey(session, args, depth + 1, counter)] }
    case 'UID': return uidKey(view.resolve(args.sequenceSet(), true, session.saved))
    case 'MODSEQ': {
      // Optional entry name and type (RFC 7162 §3.1.5) are accepted and ignored: one modseq per message.
      if (args.peek()?.type === 'string') {
        args.string('entry name')
        args.atom('entry type')
      }
      session.condstore = true
      return { modseqAtLeast: args.number('modseq', Number.MAX_SAFE_INTEGER) }
    }
    case 'EMAILID': {
      const id = /^M(\d{1,15})$/.exec(args.string('email id'))
      return id ? { emailIds: [Number(id[1])] } : NOTHING
    }
    case 'THREADID': {
      const id = /^T(\d{1,15})$/.exec(args.string('thread id'))
      return id ? { threadIds: [Number(id[1])] } : NOTHING
    }
    default:
      if (isSequenceSet(word)) return uidKey(view.resolve(parseSequenceSet(word), false, session.saved))
      throw new ImapSyntaxError(`Unknown search key ${word.slice(0, 30)}`)
  }
}

/** UIDs → compact ranges for the store. */
export function uidKey(uids: readonly number[]): SearchKey {
  const ranges: UidRange[] = []
  for (const uid of uids) {
    const last = ranges[ranges.length - 1]
    if (last && last.end === uid - 1) last.end = uid
    else ranges.push({ start: uid, end: uid })
  }
  return ranges.length ? { uids: ranges } : NOTHING
}
