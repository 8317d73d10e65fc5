import libmime from 'libmime'

const decoders = new Map<string, TextDecoder | null>()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })
/** More distinct labels than this are not cached: a message can name any number of charsets. */
const MAX_CACHED_DECODERS = 256

/**
 * Decodes `bytes` written in `charset` (a MIME charset name, RFC 2046 4.1.2). An unknown charset
 * is read as UTF-8 when the bytes are valid UTF-8 and as Latin-1 otherwise, so text is never lost.
 */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  const decoder = decoderFor((charset ?? 'utf-8').trim().toLowerCase())
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
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  }
}

function decoderFor(label: string): TextDecoder | null {
  // us-ascii is read as UTF-8: 8-bit bytes in a mislabelled part are more often UTF-8 than not.
  if (label === '' || label === 'us-ascii' || label === 'ascii') label = 'utf-8'
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
