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
  // A quoted local part is sent unquoted, as Dovecot does; addrSpec() quotes it again.
  if (at < 0) return { mailbox: words.map((t) => t.text).join(''), host: '' }
  return {
    mailbox: words.slice(0, at).map((t) => t.text).join(''),
    host: words.slice(at + 1).map((t) => t.raw).join(''),
  }
}

/** A display name: its words joined by one space, quoted strings unquoted; null when empty. */
function phraseText(tokens: Token[]): string | null {
  const words = tokens.filter((t) => t.kind !== 'comment').map((t) => t.text)
  const text = words.join(' ').trim()
  return text === '' ? null : text
}

/** Char classes for ASCII: 1 = special (RFC 5322 3.2.3), 2 = white space or a control character. */
const CLASS = new Uint8Array(128)
for (const c of SPECIALS) CLASS[c.charCodeAt(0)] = 1
for (let code = 0; code <= 0x20; code++) CLASS[code] = 2
CLASS[0x7f] = 2

function isSpace(code: number, ch: string): boolean {
  return code < 128 ? CLASS[code] === 2 : /\s/.test(ch)
}

function tokenize(value: string): Token[] {
  const tokens: Token[] = []
  let pos = 0
  const n = value.length
  while (pos < n) {
    const code = value.charCodeAt(pos)
    const c = value[pos]
    if (isSpace(code, c)) {
      pos++ // the same test ends an atom below, so every branch advances
    } else if (c === '"') {
      const start = pos
      pos++
      let text = ''
      let from = pos
      while (pos < n) {
        const d = value.charCodeAt(pos)
        if (d === 0x22) break
        if (d === 0x5c && pos + 1 < n) {
          text += value.slice(from, pos) // a quoted-pair: keep the character, drop the backslash
          from = pos + 1
          pos += 2
        } else pos++
      }
      text += value.slice(from, Math.min(pos, n))
      pos = Math.min(pos + 1, n)
      tokens.push({ kind: 'quoted', text, raw: value.slice(start, pos) })
    } else if (c === '(') {
      const start = pos
      pos = skipComment(value, pos)
      const raw = value.slice(start, pos)
      tokens.push({ kind: 'comment', text: commentText(raw), raw })
    } else if (c === '[') {
      const start = pos
      const close = value.indexOf(']', pos)
      pos = close < 0 ? n : close + 1
      const raw = value.slice(start, pos)
      tokens.push({ kind: 'literal', text: raw, raw })
    } else if (code < 128 && CLASS[code] === 1) {
      tokens.push({ kind: 'special', text: c, raw: c })
      pos++
    } else {
      const start = pos
      pos++ // `c` is neither white space nor a special: the atom has at least one character
      while (pos < n) {
        const d = value.charCodeAt(pos)
        if (d < 128 ? CLASS[d] !== 0 : /\s/.test(value[pos])) break
        pos++
      }
      const text = value.slice(start, pos)
      tokens.push({ kind: 'atom', text, raw: text })
    }
  }
  return tokens
}

/** The end of the comment opening at `pos`: nested up to MAX_COMMENT_DEPTH; unclosed runs to the end. */
function skipComment(value: string, pos: number): number {
  let depth = 0
  const n = value.length
  while (pos < n) {
    const d = value.charCodeAt(pos++)
    if (d === 0x5c) pos++
    else if (d === 0x28) depth = Math.min(depth + 1, MAX_COMMENT_DEPTH)
    else if (d === 0x29 && --depth === 0) break
  }
  return Math.min(pos, n)
}

/** A comment's text: the outer parentheses and quoted-pair backslashes removed. */
function commentText(raw: string): string {
  const inner = raw.slice(1, raw.endsWith(')') ? -1 : undefined)
  return inner.includes('\\') ? inner.replace(/\\(.)/gs, '$1') : inner
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
  return parts.join(', ').replace(/\0/g, '') // an encoded-word can carry NUL (=00)
}

/** The first real address's addr-spec, lower-case (RFC 5256 3 sorts on it); '' when none. */
export function firstAddrSpec(addresses: readonly EnvelopeAddress[]): string {
  for (const a of addresses) if (a.host !== null) return addrSpec(a).toLowerCase()
  return ''
}

/** A dot-atom local part (RFC 5322 3.2.3, with RFC 6532 UTF-8) needs no quotes. */
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uffff]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uffff]+)*$/

function addrSpec(a: EnvelopeAddress): string {
  let mailbox = a.mailbox ?? ''
  if (mailbox !== '' && !DOT_ATOM.test(mailbox)) mailbox = `"${mailbox.replace(/[\\"]/g, '\\$&')}"`
  return a.host ? `${mailbox}@${a.host}` : mailbox
}
