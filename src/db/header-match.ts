/**
 * Header matching for SEARCH HEADER (RFC 9051 6.4.4): does the raw header block have a field
 * `name` whose value, unfolded and with RFC 2047 encoded-words decoded, contains `value`
 * case-insensitively? Registered as an SQL function by the SQLite engine.
 */

/** Header bytes examined: a message with megabytes of headers does not cost megabytes per search. */
const MAX_HEADER_BYTES = 256 * 1024

const latin1 = new TextDecoder('latin1')

export function headerContains(header: Uint8Array | string | null, name: string, value: string): boolean {
  if (header === null || header === undefined) return false
  const text = typeof header === 'string' ? header : decodeHeaderBytes(header)
  const wanted = name.toLowerCase()
  const needle = value.toLowerCase()
  for (const field of unfold(text)) {
    const colon = field.indexOf(':')
    if (colon <= 0 || field.slice(0, colon).trim().toLowerCase() !== wanted) continue
    if (needle === '') return true
    if (decodeWords(field.slice(colon + 1)).toLowerCase().includes(needle)) return true
  }
  return false
}

function decodeHeaderBytes(bytes: Uint8Array): string {
  const slice = bytes.subarray(0, MAX_HEADER_BYTES)
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(slice)
  } catch {
    return latin1.decode(slice)
  }
}

function unfold(text: string): string[] {
  return text.replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)
}

function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=/g, (word, charset: string, encoding: string, text: string) => {
      try {
        const bytes = encoding.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1')
        return new TextDecoder(charset.toLowerCase()).decode(bytes)
      } catch {
        return word
      }
    })
    .trim()
}

