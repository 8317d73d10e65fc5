/**
 * LIST patterns (RFC 9051 §6.3.9): `*` matches anything, `%` anything but the delimiter "/".
 * Compiled to a RegExp with every other character escaped (no ReDoS: a pattern has at most
 * MAX_WILDCARDS wildcards, and the line limit bounds its length).
 */
import { ImapSyntaxError } from './wire/syntax-error.ts'

export const MAX_WILDCARDS = 20

export function compilePattern(reference: string, pattern: string): RegExp {
  let full = reference && pattern && !reference.endsWith('/') && !pattern.startsWith('/') ? reference + '/' + pattern : reference + pattern
  if (/^inbox(?=$|\/)/i.test(full)) full = 'INBOX' + full.slice(5)
  let wildcards = 0
  let source = ''
  for (const ch of full) {
    if (ch === '*') {
      wildcards++
      source += '.*'
    } else if (ch === '%') {
      wildcards++
      source += '[^/]*'
    } else {
      source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
    }
  }
  if (wildcards > MAX_WILDCARDS) throw new ImapSyntaxError('Too many wildcards in LIST pattern')
  return new RegExp('^' + source + '$', 'su')
}
