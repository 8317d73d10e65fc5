/**
 * IMAP flags ⇄ store keywords: `\Seen` ⇄ `$seen` etc. (RFC 8621 §4.1.1); other keywords pass as
 * they are, `\Recent` is never stored (RFC 9051 removed it).
 */
import { ImapSyntaxError } from './wire/syntax-error.ts'

const TO_KEYWORD: Record<string, string> = {
  '\\seen': '$seen',
  '\\answered': '$answered',
  '\\flagged': '$flagged',
  '\\deleted': '$deleted',
  '\\draft': '$draft',
}
const TO_FLAG: Record<string, string> = {
  '$seen': '\\Seen',
  '$answered': '\\Answered',
  '$flagged': '\\Flagged',
  '$deleted': '\\Deleted',
  '$draft': '\\Draft',
}

/** The flags listed in FLAGS and PERMANENTFLAGS (RFC 9051 7.3.x). */
export const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft']

/** A keyword longer than this is refused (a flag list must not grow the store's rows without bound). */
export const MAX_KEYWORD_LENGTH = 128

/** Client flag → store keyword; throws on `\Recent`, unknown system flags or bad atoms. */
export function flagToKeyword(flag: string): string {
  if (flag.startsWith('\\')) {
    const keyword = TO_KEYWORD[flag.toLowerCase()]
    if (!keyword) throw new ImapSyntaxError(`Flag ${flag.slice(0, 40)} cannot be set`)
    return keyword
  }
  if (flag.length > MAX_KEYWORD_LENGTH || !/^[!#$&'+-Z^-z|~]+$/.test(flag)) throw new ImapSyntaxError('Bad keyword')
  return flag
}

export function keywordToFlag(keyword: string): string {
  return TO_FLAG[keyword] ?? keyword
}

export function flagList(keywords: readonly string[]): string {
  return '(' + keywords.map(keywordToFlag).join(' ') + ')'
}
