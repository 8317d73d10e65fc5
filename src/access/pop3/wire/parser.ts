/**
 * POP3 command lines (RFC 1939 §3): a case-insensitive keyword, then arguments separated by
 * spaces. Imports nothing from the store or directory (STYLE "wire apart from behaviour").
 */

/** RFC 1939 keywords are 3–4 characters; anything longer is not a command. */
const MAX_KEYWORD = 8
/** Message numbers above this are refused before any lookup (they cannot exist). */
const MAX_MESSAGE_NUMBER = 999_999_999

export class Pop3SyntaxError extends SyntaxError {
  constructor(message: string) {
    super(message)
    this.name = 'Pop3SyntaxError'
  }
}

export interface Pop3Line {
  /** Upper-cased keyword. */
  keyword: string
  /** Everything after the keyword and one space (PASS: the password may contain spaces). */
  rest: string
  /** `rest` split on runs of spaces. */
  words: string[]
}

/** Parses one command line (without CRLF). Throws Pop3SyntaxError. */
export function parseLine(line: string): Pop3Line {
  const m = /^([A-Za-z]+)(?: (.*))?$/s.exec(line)
  if (!m || m[1].length > MAX_KEYWORD) throw new Pop3SyntaxError('Malformed command')
  if (/[\0\r\n]/.test(line)) throw new Pop3SyntaxError('Control characters in command')
  const rest = m[2] ?? ''
  return { keyword: m[1].toUpperCase(), rest, words: rest.split(' ').filter(Boolean) }
}

/** A message number argument (RFC 1939 §5: 1-based, decimal). */
export function messageNumber(word: string | undefined): number {
  if (word === undefined) throw new Pop3SyntaxError('Message number required')
  if (!/^\d{1,9}$/.test(word)) throw new Pop3SyntaxError(`Invalid message number "${word.slice(0, 20)}"`)
  const n = Number(word)
  if (n < 1 || n > MAX_MESSAGE_NUMBER) throw new Pop3SyntaxError(`Invalid message number "${word.slice(0, 20)}"`)
  return n
}

/** A non-negative line count (TOP's second argument). */
export function lineCount(word: string | undefined): number {
  if (word === undefined || !/^\d{1,9}$/.test(word)) throw new Pop3SyntaxError('Line count required (a number ≥ 0)')
  return Number(word)
}
