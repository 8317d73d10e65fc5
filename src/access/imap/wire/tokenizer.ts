/**
 * IMAP command tokenizer (RFC 9051 §9 grammar, the lexical part). A command arrives as lines and
 * the literals between them (the session reads `{n}`/`{n+}`/`~{n}` and the n bytes); this turns
 * them into atoms, strings and parenthesised lists. Grammar-specific parsing (sequence sets,
 * FETCH items, SEARCH keys) is done by `parser.ts` and the commands on top of these tokens.
 *
 * An atom may carry a bracketed section with spaces and parens inside, and a `<partial>` after it
 * (`BODY.PEEK[HEADER.FIELDS (From To)]<0.100>`), so FETCH items stay one token.
 */
import { ImapSyntaxError } from './syntax-error.ts'

/** Nesting of parenthesised lists accepted (stops stack exhaustion by "((((((…"). */
export const MAX_LIST_DEPTH = 32

export type Token =
  | { type: 'atom'; value: string }
  | { type: 'string'; value: Buffer; literal: boolean; binary: boolean }
  | { type: 'list'; items: Token[] }

/** A command as read off the wire: `lines[i]` is followed by `literals[i]` when it ends in `{n}`. */
export interface RawCommand {
  lines: Buffer[]
  literals: Buffer[]
}

/** Recognises the literal announcement at the end of a line: `{12}`, `{12+}`, `{12-}`, `~{12}`. */
export const LITERAL_AT_END = /(~?)\{(\d{1,20})([+-]?)\}$/

export interface LiteralMark {
  size: number
  /** Non-synchronising (LITERAL+ / LITERAL-): no `+` continuation is sent. */
  nonSync: boolean
  binary: boolean
  /** Where the `{` (or `~`) starts in the line. */
  at: number
}

export function literalMark(line: Buffer): LiteralMark | null {
  if (line.length === 0 || line[line.length - 1] !== 0x7d) return null
  const tail = line.subarray(Math.max(0, line.length - 26)).toString('latin1')
  const m = LITERAL_AT_END.exec(tail)
  if (!m) return null
  return { size: Number(m[2]), nonSync: m[3] !== '', binary: m[1] === '~', at: line.length - m[0].length }
}

const SP = 0x20
const LPAREN = 0x28
const RPAREN = 0x29
const DQUOTE = 0x22
const BACKSLASH = 0x5c
const LBRACKET = 0x5b
const RBRACKET = 0x5d
const LT = 0x3c
const GT = 0x3e

/** Tokenizes a whole command (tag and name included). Throws ImapSyntaxError. */
export function tokenize(command: RawCommand): Token[] {
  const root: Token[] = []
  const stack: Token[][] = [root]
  let current = root
  for (let li = 0; li < command.lines.length; li++) {
    const line = command.lines[li]
    const mark = li < command.literals.length ? literalMark(line) : null
    const end = mark ? mark.at : line.length
    let i = 0
    while (i < end) {
      const c = line[i]
      if (c === SP) {
        i++
      } else if (c === LPAREN) {
        if (stack.length > MAX_LIST_DEPTH) throw new ImapSyntaxError('Lists nested too deeply')
        const list: Token = { type: 'list', items: [] }
        current.push(list)
        stack.push(list.items)
        current = list.items
        i++
      } else if (c === RPAREN) {
        if (stack.length === 1) throw new ImapSyntaxError('Unbalanced ")"')
        stack.pop()
        current = stack[stack.length - 1]
        i++
      } else if (c === DQUOTE) {
        i = quoted(line, i, end, current)
      } else if (c < 0x20 || c === 0x7f) {
        throw new ImapSyntaxError('Control character in command')
      } else if (c === 0x7b /* { */ || (c === 0x7e /* ~ */ && line[i + 1] === 0x7b)) {
        throw new ImapSyntaxError('Literal not at end of line')
      } else {
        i = atom(line, i, end, current)
      }
    }
    if (mark) {
      if (end > 0 && line[end - 1] !== SP && line[end - 1] !== LPAREN) throw new ImapSyntaxError('Literal must follow a space or "("')
      current.push({ type: 'string', value: command.literals[li], literal: true, binary: mark.binary })
    }
  }
  if (stack.length !== 1) throw new ImapSyntaxError('Unbalanced "("')
  return root
}

function quoted(line: Buffer, start: number, end: number, out: Token[]): number {
  const bytes: number[] = []
  let i = start + 1
  while (i < end) {
    const c = line[i]
    if (c === DQUOTE) {
      out.push({ type: 'string', value: Buffer.from(bytes), literal: false, binary: false })
      return i + 1
    }
    if (c === BACKSLASH) {
      const next = line[i + 1]
      if (next !== DQUOTE && next !== BACKSLASH) throw new ImapSyntaxError('Bad escape in quoted string')
      bytes.push(next)
      i += 2
      continue
    }
    if (c === 0 || c === 0x0d || c === 0x0a) throw new ImapSyntaxError('Bad character in quoted string')
    bytes.push(c)
    i++
  }
  throw new ImapSyntaxError('Unterminated quoted string')
}

function atom(line: Buffer, start: number, end: number, out: Token[]): number {
  let i = start
  let depth = 0
  while (i < end) {
    const c = line[i]
    if (depth > 0) {
      if (c === LBRACKET) depth++
      else if (c === RBRACKET) depth--
      else if (c < 0x20 || c === 0x7f) throw new ImapSyntaxError('Control character in command')
      i++
      if (depth === 0 && line[i] === LT) {
        // <partial> right after a section: part of the same item.
        const close = line.indexOf(GT, i)
        if (close < 0 || close >= end) throw new ImapSyntaxError('Unterminated <partial>')
        i = close + 1
      }
      continue
    }
    if (c === SP || c === LPAREN || c === RPAREN || c === DQUOTE || c < 0x20 || c === 0x7f) break
    if (c === 0x7b) throw new ImapSyntaxError('Unexpected "{" in atom')
    if (c === LBRACKET) depth++
    i++
  }
  if (depth > 0) throw new ImapSyntaxError('Unbalanced "["')
  out.push({ type: 'atom', value: line.toString('utf8', start, i) })
  return i
}
