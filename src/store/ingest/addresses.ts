import type { EnvelopeAddress } from '../mime.ts'
import { decodeEncodedWords } from './encoded-words.ts'
import { MAX_COMMENT_DEPTH } from './limits.ts'

type TokenKind = 'atom' | 'quoted' | 'comment' | 'literal' | 'special'

interface Token {
  kind: TokenKind
  /** Content: quotes, brackets and escapes removed for quoted strings and comments. */
  text: string
  /** As written, for local parts and domain literals that must keep their quoting. */
  raw: string
}

const SPECIALS = '()<>[]:;@\\,"'

/**
 * Parses an address-list header value (RFC 5322 3.4, with the obsolete forms of 4.4) into IMAP
 * ENVELOPE addresses (RFC 9051 7.5.2). Display names stay raw (encoded-words kept, as IMAP sends
 * them); a group is a start marker (mailbox = group name, host null), its members, and an end
 * marker (mailbox and host null). Never throws; linear in the value's length.
 */
export function parseAddressList(value: string | null): EnvelopeAddress[] {
  if (value === null) return []
  const tokens = tokenize(value)
  const out: EnvelopeAddress[] = []
  let inGroup = false
  let i = 0
  while (i < tokens.length) {
    const phrase: Token[] = []
    let done = false
    while (i < tokens.length && !done) {
      const token = tokens[i]
      if (token.kind !== 'special') {
        phrase.push(token)
        i++
        continue
      }
      switch (token.text) {
        case ',':
          i++
          pushAddrSpec(out, phrase)
          done = true
          break
        case ';':
          i++
          pushAddrSpec(out, phrase)
          if (inGroup) out.push({ name: null, adl: null, mailbox: null, host: null })
          inGroup = false
          done = true
          break
        case ':':
          i++
          if (inGroup) {
            phrase.push(token) // a ':' inside a group is junk; keep it in the text
            break
          }
          out.push({ name: null, adl: null, mailbox: phraseText(phrase) ?? '', host: null })
          inGroup = true
          done = true
          break
        case '<':
          i = readAngle(tokens, i + 1, phrase, out)
          done = true
          break
        default:
          phrase.push(token) // '@', '>', '[', ']', '\\', '"'
          i++
      }
    }
    if (!done) pushAddrSpec(out, phrase)
  }
  if (inGroup) out.push({ name: null, adl: null, mailbox: null, host: null })
  return out
}

/** Reads `[route:] local@domain >` after '<', then skips to the next ',' or ';'. */
function readAngle(tokens: Token[], i: number, phrase: Token[], out: EnvelopeAddress[]): number {
  const inner: Token[] = []
  while (i < tokens.length && !(tokens[i].kind === 'special' && tokens[i].text === '>')) inner.push(tokens[i++])
  i++ // the '>'
  // Anything after the angle-addr up to the separator (a comment, junk) is ignored.
  while (i < tokens.length && !(tokens[i].kind === 'special' && (tokens[i].text === ',' || tokens[i].text === ';'))) i++
  if (i < tokens.length && tokens[i].text === ',') i++
  let adl: string | null = null
  const colon = inner.findIndex((t) => t.kind === 'special' && t.text === ':')
  let spec = inner
  if (colon >= 0) {
    adl = inner.slice(0, colon).map((t) => t.raw).join('') || null
    spec = inner.slice(colon + 1)
  }
  const { mailbox, host } = splitAddrSpec(spec)
  out.push({ name: phraseText(phrase), adl, mailbox, host })
  return i
}

function pushAddrSpec(out: EnvelopeAddress[], tokens: Token[]): void {
  const words = tokens.filter((t) => t.kind !== 'comment')
  if (words.length === 0) return
  // `user@host (Real Name)`: the comment is the only name there is (RFC 5322 3.4, obsolete usage).
  let name: string | null = null
  for (const t of tokens) if (t.kind === 'comment' && t.text.trim() !== '') name = t.text.trim()
  const { mailbox, host } = splitAddrSpec(words)
  out.push({ name, adl: null, mailbox, host })
}

function splitAddrSpec(tokens: Token[]): { mailbox: string; host: string } {
  const words = tokens.filter((t) => t.kind !== 'comment')
  let at = -1
  for (let k = words.length - 1; k >= 0; k--) {
    if (words[k].kind === 'special' && words[k].text === '@') {
      at = k
      break
    }
  }
  // CFWS around the dots of an obs-local-part is dropped, so the parts join with nothing between.
  if (at < 0) return { mailbox: words.map((t) => t.raw).join(''), host: '' }
  return {
    mailbox: words.slice(0, at).map((t) => t.raw).join(''),
    host: words.slice(at + 1).map((t) => t.raw).join(''),
  }
}

/** A display name: its words joined by one space, quoted strings unquoted; null when empty. */
function phraseText(tokens: Token[]): string | null {
  const words = tokens.filter((t) => t.kind !== 'comment').map((t) => t.text)
  const text = words.join(' ').trim()
  return text === '' ? null : text
}

function tokenize(value: string): Token[] {
  const tokens: Token[] = []
  let pos = 0
  const n = value.length
  while (pos < n) {
    const c = value[pos]
    if (/\s/.test(c)) {
      pos++ // the same test ends an atom below, so every branch advances
    } else if (c === '"') {
      const start = pos
      let text = ''
      pos++
      while (pos < n && value[pos] !== '"') {
        if (value[pos] === '\\' && pos + 1 < n) pos++
        text += value[pos++]
      }
      pos = Math.min(pos + 1, n)
      tokens.push({ kind: 'quoted', text, raw: value.slice(start, pos) })
    } else if (c === '(') {
      const start = pos
      let depth = 0
      let text = ''
      while (pos < n) {
        const d = value[pos++]
        if (d === '\\' && pos < n) {
          text += value[pos++]
          continue
        }
        if (d === '(') {
          if (depth > 0) text += d
          depth = Math.min(depth + 1, MAX_COMMENT_DEPTH)
        } else if (d === ')') {
          if (--depth === 0) break
          text += d
        } else text += d
      }
      tokens.push({ kind: 'comment', text, raw: value.slice(start, pos) })
    } else if (c === '[') {
      const start = pos
      const close = value.indexOf(']', pos)
      pos = close < 0 ? n : close + 1
      const raw = value.slice(start, pos)
      tokens.push({ kind: 'literal', text: raw, raw })
    } else if (SPECIALS.includes(c)) {
      tokens.push({ kind: 'special', text: c, raw: c })
      pos++
    } else {
      const start = pos
      pos++ // `c` is neither white space nor a special: the atom has at least one character
      while (pos < n && !SPECIALS.includes(value[pos]) && !/\s/.test(value[pos])) pos++
      const text = value.slice(start, pos)
      tokens.push({ kind: 'atom', text, raw: text })
    }
  }
  return tokens
}

/** "Name <a@b>, c@d" with encoded-words decoded, for search and display. */
export function formatAddressList(addresses: readonly EnvelopeAddress[]): string {
  const parts: string[] = []
  let group: string[] | null = null
  let groupName = ''
  for (const a of addresses) {
    if (a.host === null && a.mailbox !== null) {
      group = []
      groupName = decodeEncodedWords(a.mailbox)
    } else if (a.host === null) {
      if (group !== null) parts.push(`${groupName}: ${group.join(', ')};`)
      group = null
    } else {
      const spec = addrSpec(a)
      const text = a.name === null ? spec : `${decodeEncodedWords(a.name)} <${spec}>`
      if (group !== null) group.push(text)
      else parts.push(text)
    }
  }
  if (group !== null) parts.push(`${groupName}: ${group.join(', ')};`)
  return parts.join(', ')
}

/** The first real address's addr-spec, lower-case (RFC 5256 3 sorts on it); '' when none. */
export function firstAddrSpec(addresses: readonly EnvelopeAddress[]): string {
  for (const a of addresses) if (a.host !== null) return addrSpec(a).toLowerCase()
  return ''
}

function addrSpec(a: EnvelopeAddress): string {
  const mailbox = a.mailbox ?? ''
  return a.host ? `${mailbox}@${a.host}` : mailbox
}
