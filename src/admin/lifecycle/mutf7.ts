/**
 * Modified UTF-7 (RFC 3501 5.1.3), the encoding Dovecot and Courier use for Maildir++ folder
 * directory names by default. Here only for file names; the IMAP wire has its own codec.
 */

/** Encodes a name; `extra` lists printable characters that must also be encoded (e.g. the Maildir++ separator "."). */
export function encodeMutf7(name: string, extra = ''): string {
  let out = ''
  let pending = ''
  const flush = () => {
    if (pending === '') return
    const utf16 = Buffer.alloc(pending.length * 2)
    for (let i = 0; i < pending.length; i++) utf16.writeUInt16BE(pending.charCodeAt(i), i * 2)
    out += '&' + utf16.toString('base64').replace(/=+$/, '').replaceAll('/', ',') + '-'
    pending = ''
  }
  for (const ch of name) {
    const code = ch.codePointAt(0) ?? 0
    if (code >= 0x20 && code <= 0x7e && !extra.includes(ch)) {
      flush()
      out += ch === '&' ? '&-' : ch
    } else {
      pending += ch
    }
  }
  flush()
  return out
}

/** Decodes a name; text that is not valid modified UTF-7 is returned as it is. */
export function decodeMutf7(name: string): string {
  return name.replace(/&([A-Za-z0-9+,]*)-/g, (whole, b64: string) => {
    if (b64 === '') return '&'
    const bytes = Buffer.from(b64.replaceAll(',', '/'), 'base64')
    if (bytes.length % 2 !== 0) return whole
    let text = ''
    for (let i = 0; i < bytes.length; i += 2) text += String.fromCharCode(bytes.readUInt16BE(i))
    return text
  })
}
