/**
 * Modified UTF-7 for mailbox names (RFC 3501 §5.1.3), used with IMAP4rev1 clients; IMAP4rev2 and
 * UTF8=ACCEPT sessions use UTF-8 names as they are (RFC 9051 §5.1, RFC 6855 §3).
 */
import { ImapSyntaxError } from './syntax-error.ts'

export function encodeMutf7(name: string): string {
  let out = ''
  let pending: number[] = []
  const flush = () => {
    if (pending.length === 0) return
    const bytes = Buffer.alloc(pending.length * 2)
    pending.forEach((unit, i) => bytes.writeUInt16BE(unit, i * 2))
    out += '&' + bytes.toString('base64').replace(/=+$/, '').replaceAll('/', ',') + '-'
    pending = []
  }
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i)
    if (code >= 0x20 && code <= 0x7e) {
      flush()
      out += code === 0x26 ? '&-' : name[i]
    } else {
      pending.push(code)
    }
  }
  flush()
  return out
}

/** Decodes a modified UTF-7 name; throws ImapSyntaxError on a malformed one. */
export function decodeMutf7(name: string): string {
  if (!name.includes('&')) {
    if (/[^\x20-\x7e]/.test(name)) throw new ImapSyntaxError('Mailbox name is not modified UTF-7')
    return name
  }
  let out = ''
  let i = 0
  while (i < name.length) {
    const c = name[i]
    if (c !== '&') {
      if (c < ' ' || c > '~') throw new ImapSyntaxError('Mailbox name is not modified UTF-7')
      out += c
      i++
      continue
    }
    const end = name.indexOf('-', i + 1)
    if (end < 0) throw new ImapSyntaxError('Unterminated modified UTF-7 shift')
    const b64 = name.slice(i + 1, end)
    if (b64 === '') {
      out += '&'
    } else {
      if (!/^[A-Za-z0-9+,]+$/.test(b64)) throw new ImapSyntaxError('Bad modified UTF-7')
      const bytes = Buffer.from(b64.replaceAll(',', '/'), 'base64')
      if (bytes.length % 2 !== 0 || bytes.length === 0) throw new ImapSyntaxError('Bad modified UTF-7')
      for (let j = 0; j < bytes.length; j += 2) out += String.fromCharCode(bytes.readUInt16BE(j))
    }
    i = end + 1
  }
  if (!out.isWellFormed()) throw new ImapSyntaxError('Bad modified UTF-7 (lone surrogate)')
  return out
}
