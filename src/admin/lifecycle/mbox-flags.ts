/**
 * Flags in mbox files, as mutt, Dovecot (mbox driver) and Thunderbird's import read them:
 * `Status: RO` (R = seen, O = old), `X-Status: ADFT` (answered, deleted, flagged, draft) and
 * `X-Keywords: a b` (other keywords, space-separated; commas accepted on read).
 * On export they replace any such fields of the message; on import they are read and removed,
 * so a message that went out and came back has its original bytes (as Dovecot does).
 */

const STATUS_FIELDS = new Set(['status', 'x-status', 'x-keywords'])
const X_STATUS_LETTERS: ReadonlyArray<[string, string]> = [
  ['A', '$answered'], ['D', '$deleted'], ['F', '$flagged'], ['T', '$draft'],
]
/** Keywords kept per message; stops a hostile X-Keywords line creating thousands of them. */
const MAX_KEYWORDS = 100
/** IMAP atom characters (RFC 9051 `atom`): anything else can't be a keyword. */
const KEYWORD = /^[^\s(){%*"\\\]\x00-\x1f\x7f]{1,100}$/

/** The message with our Status/X-Status/X-Keywords fields at the end of its header. */
export function withStatusHeaders(raw: Uint8Array, keywords: readonly string[]): Uint8Array {
  const { header, rest, eol } = splitHeader(raw)
  const fields = headerFields(header).filter((f) => !STATUS_FIELDS.has(f.name))
  const set = new Set(keywords)
  const added: string[] = [`Status: ${set.has('$seen') ? 'RO' : 'O'}`]
  const xStatus = X_STATUS_LETTERS.filter(([, k]) => set.has(k)).map(([letter]) => letter).join('')
  if (xStatus) added.push(`X-Status: ${xStatus}`)
  const others = keywords.filter((k) => !isSystem(k) && KEYWORD.test(k))
  if (others.length > 0) added.push(`X-Keywords: ${others.join(' ')}`)
  const text = fields.map((f) => f.text).join('') + added.map((line) => line + eol).join('')
  return Buffer.concat([Buffer.from(text, 'latin1'), rest])
}

/** Reads and removes the status fields; returns the original message and its keywords. */
export function takeStatusHeaders(raw: Uint8Array): { raw: Uint8Array; keywords: string[] } {
  const { header, rest } = splitHeader(raw)
  const fields = headerFields(header)
  if (!fields.some((f) => STATUS_FIELDS.has(f.name))) return { raw, keywords: [] }
  const keywords = new Set<string>()
  for (const f of fields) {
    const value = f.text.slice(f.text.indexOf(':') + 1).trim()
    if (f.name === 'status' && value.includes('R')) keywords.add('$seen')
    if (f.name === 'x-status') for (const [letter, k] of X_STATUS_LETTERS) if (value.includes(letter)) keywords.add(k)
    if (f.name === 'x-keywords') {
      for (const word of value.split(/[\s,]+/)) if (word && KEYWORD.test(word) && keywords.size < MAX_KEYWORDS) keywords.add(word)
    }
  }
  const kept = fields.filter((f) => !STATUS_FIELDS.has(f.name)).map((f) => f.text).join('')
  return { raw: Buffer.concat([Buffer.from(kept, 'latin1'), rest]), keywords: [...keywords].sort() }
}

function isSystem(keyword: string): boolean {
  return ['$seen', '$answered', '$flagged', '$deleted', '$draft'].includes(keyword)
}

/** Header fields (with folded continuation lines) up to, not including, the blank line. */
function headerFields(header: string): Array<{ name: string; text: string }> {
  const fields: Array<{ name: string; text: string }> = []
  for (const line of header.split(/(?<=\n)/)) {
    if (line === '') continue
    if ((line[0] === ' ' || line[0] === '\t') && fields.length > 0) fields[fields.length - 1].text += line
    else fields.push({ name: line.slice(0, Math.max(0, line.indexOf(':'))).trim().toLowerCase(), text: line })
  }
  return fields
}

/** Splits at the blank line ending the header; `rest` starts with that blank line. */
function splitHeader(raw: Uint8Array): { header: string; rest: Buffer; eol: string } {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
  let end = bytes.length
  if (bytes[0] === 0x0a) end = 0
  else if (bytes[0] === 0x0d && bytes[1] === 0x0a) end = 0
  else {
    const lf = bytes.indexOf('\n\n')
    const crlf = bytes.indexOf('\r\n\r\n')
    if (lf !== -1) end = lf + 1
    if (crlf !== -1 && crlf + 2 < end) end = crlf + 2
  }
  const header = bytes.subarray(0, end).toString('latin1')
  // A header with no final newline (message without body) must not glue our field onto its last line.
  const fixed = header !== '' && !header.endsWith('\n') ? header + (header.includes('\r\n') ? '\r\n' : '\n') : header
  return { header: fixed, rest: bytes.subarray(end), eol: header.includes('\r\n') ? '\r\n' : '\n' }
}
