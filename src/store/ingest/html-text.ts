const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®', trade: '™',
  hellip: '…', mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', bull: '•',
  middot: '·', euro: '€', pound: '£', yen: '¥', cent: '¢', laquo: '«', raquo: '»', deg: '°',
  times: '×', divide: '÷', shy: '', zwnj: '', zwj: '', auml: 'ä', ouml: 'ö', uuml: 'ü', szlig: 'ß',
  Auml: 'Ä', Ouml: 'Ö', Uuml: 'Ü', eacute: 'é', egrave: 'è', aacute: 'á', agrave: 'à', ccedil: 'ç',
}

/** Elements whose content is never text a reader sees. */
const SKIPPED = ['script', 'style', 'head', 'title', 'template']
/** Elements that break a line, so words on either side are not glued together. */
const BLOCKS = new Set(['p', 'br', 'div', 'tr', 'td', 'th', 'li', 'ul', 'ol', 'table', 'blockquote',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'pre', 'section', 'article', 'header', 'footer'])

/**
 * Reduces HTML to its readable text for the full-text index and previews: tags dropped, script,
 * style and comments removed, block elements turned into line breaks, entities decoded. A single
 * linear scan (no regex over the document), so hostile HTML costs no more than its length.
 */
export function htmlToText(html: string): string {
  const lower = html.toLowerCase()
  const out: string[] = []
  let pos = 0
  const n = html.length
  while (pos < n) {
    const lt = html.indexOf('<', pos)
    if (lt < 0) {
      out.push(decodeEntities(html.slice(pos)))
      break
    }
    if (lt > pos) out.push(decodeEntities(html.slice(pos, lt)))
    const next = lower.charCodeAt(lt + 1)
    const isName = next >= 0x61 && next <= 0x7a
    if (!isName && next !== 0x2f && next !== 0x21 && next !== 0x3f) {
      out.push('<') // "a < b" is text, not a tag
      pos = lt + 1
      continue
    }
    if (lower.startsWith('<!--', lt)) {
      const close = html.indexOf('-->', lt + 4)
      pos = close < 0 ? n : close + 3
      continue
    }
    const gt = html.indexOf('>', lt + 1)
    if (gt < 0) break // an unclosed tag at the end: drop it
    const name = tagName(lower, next === 0x2f ? lt + 2 : lt + 1, gt)
    pos = gt + 1
    if (next !== 0x2f && SKIPPED.includes(name)) {
      const close = lower.indexOf(`</${name}`, pos)
      const end = close < 0 ? -1 : lower.indexOf('>', close)
      pos = end < 0 ? n : end + 1
      continue
    }
    // Inline tags vanish ("H<b>ello</b>" is one word); block tags end a line.
    if (BLOCKS.has(name)) out.push('\n')
  }
  return out.join('').replace(/[ \t\u00a0]+/g, ' ').replace(/ ?\n\s*/g, '\n').trim()
}

function tagName(lower: string, start: number, end: number): string {
  let pos = start
  while (pos < end) {
    const c = lower.charCodeAt(pos)
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) break
    pos++
  }
  return lower.slice(start, pos)
}

/** Decodes character references (HTML 13.5): named ones we know, and all numeric ones. Linear scan. */
export function decodeEntities(text: string): string {
  let amp = text.indexOf('&')
  if (amp < 0) return text
  const out: string[] = []
  let from = 0
  while (amp >= 0) {
    let end = amp + 1
    const numeric = text.charCodeAt(end) === 0x23 // '#'
    if (numeric) end++
    const hex = numeric && (text.charCodeAt(end) | 0x20) === 0x78 // 'x'
    if (hex) end++
    const digitsStart = end
    while (end < text.length && end - digitsStart < 32 && isRefChar(text.charCodeAt(end), numeric, hex)) end++
    const ref = text.slice(digitsStart, end)
    const decoded = ref === '' ? null : numeric ? fromCode(parseInt(ref, hex ? 16 : 10)) : named(ref)
    if (decoded !== null) {
      out.push(text.slice(from, amp), decoded)
      from = text.charCodeAt(end) === 0x3b ? end + 1 : end // the ';' is optional in practice
    }
    amp = text.indexOf('&', Math.max(end, amp + 1))
  }
  out.push(text.slice(from))
  return out.join('')
}

function isRefChar(c: number, numeric: boolean, hex: boolean): boolean {
  if (c >= 0x30 && c <= 0x39) return true
  if (numeric && !hex) return false
  const lower = c | 0x20
  return hex ? lower >= 0x61 && lower <= 0x66 : lower >= 0x61 && lower <= 0x7a
}

function named(ref: string): string | null {
  if (Object.hasOwn(NAMED, ref)) return NAMED[ref]
  const lower = ref.toLowerCase()
  return Object.hasOwn(NAMED, lower) ? NAMED[lower] : null
}

function fromCode(code: number): string {
  if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd'
  return String.fromCodePoint(code)
}
