import libmime from 'libmime'

const decoders = new Map<string, TextDecoder | null>()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })
const windows1252 = new TextDecoder('windows-1252')
/** More distinct labels than this are not cached: a message can name any number of charsets. */
const MAX_CACHED_DECODERS = 256

/**
 * Decodes `bytes` written in `charset` (a MIME charset name, RFC 2046 4.1.2). An unknown charset
 * (or us-ascii holding 8-bit bytes) is read as UTF-8 when the bytes are valid UTF-8 and as
 * Windows-1252 (Latin-1's superset) otherwise, so text is never lost.
 */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  const decoder = decoderFor((charset ?? '').trim().toLowerCase())
  if (decoder !== null) {
    try {
      return decoder.decode(bytes)
    } catch {
      // fall through: some ICU converters reject malformed input even when not fatal
    }
  }
  try {
    return strictUtf8.decode(bytes)
  } catch {
    // WHATWG reads "latin1" as Windows-1252 too: the printable superset that mailers really send.
    return windows1252.decode(bytes)
  }
}

function decoderFor(label: string): TextDecoder | null {
  // us-ascii (the default) with 8-bit bytes is a mislabel: guess UTF-8, then Windows-1252, below.
  if (label === '' || label === 'us-ascii' || label === 'ascii') return null
  const cached = decoders.get(label)
  if (cached !== undefined) return cached
  const decoder = tryDecoder(label) ?? tryDecoder(libmime.normalizeCharset(label))
  if (decoders.size < MAX_CACHED_DECODERS) decoders.set(label, decoder)
  return decoder
}

function tryDecoder(label: string): TextDecoder | null {
  try {
    return new TextDecoder(label)
  } catch {
    return null
  }
}
