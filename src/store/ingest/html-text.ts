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
  let out = ''
  let pos = 0
  const n = html.length
  while (pos < n) {
    const lt = html.indexOf('<', pos)
    if (lt < 0) {
      out += decodeEntities(html.slice(pos))
      break
    }
    out += decodeEntities(html.slice(pos, lt))
    if (!/[a-z/!?]/.test(lower.charAt(lt + 1))) {
      out += '<' // "a < b" is text, not a tag
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
    const name = /^<\/?([a-z][a-z0-9]*)/.exec(lower.slice(lt, Math.min(gt + 1, lt + 32)))?.[1] ?? ''
    pos = gt + 1
    if (SKIPPED.includes(name) && lower[lt + 1] !== '/') {
      const close = lower.indexOf(`</${name}`, pos)
      const end = close < 0 ? -1 : lower.indexOf('>', close)
      pos = end < 0 ? n : end + 1
      continue
    }
    if (BLOCKS.has(name)) out += '\n'
    else out += ' '
  }
  return out.replace(/[ \t\u00a0]+/g, ' ').replace(/ ?\n[\s]*/g, '\n').trim()
}

/** Decodes character references (HTML 13.5): named ones we know, and all numeric ones. */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});?/g, (whole, ref: string) => {
    if (ref[0] !== '#') {
      if (Object.hasOwn(NAMED, ref)) return NAMED[ref]
      const lowerRef = ref.toLowerCase()
      return Object.hasOwn(NAMED, lowerRef) ? NAMED[lowerRef] : whole
    }
    const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10)
    if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd'
    return String.fromCodePoint(code)
  })
}
