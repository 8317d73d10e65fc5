import type { Envelope, EnvelopeAddress } from '../../../store/mime.ts'
import { encodeNString } from '../wire/encoder.ts'

/** ENVELOPE (RFC 9051 §7.5.2): strings raw as in the header (encoded-words kept). */
export function encodeEnvelope(env: Envelope, utf8: boolean): string {
  const from = addresses(env.from, utf8)
  // Sender and Reply-To default to From (RFC 9051 §7.5.2).
  const sender = env.sender.length && env.sender !== env.from ? addresses(env.sender, utf8) : from
  const replyTo = env.replyTo.length && env.replyTo !== env.from ? addresses(env.replyTo, utf8) : from
  return '(' + encodeNString(env.date, utf8) + ' ' + encodeNString(env.subject, utf8) + ' ' + from + ' ' + sender + ' ' + replyTo +
    ' ' + addresses(env.to, utf8) + ' ' + addresses(env.cc, utf8) + ' ' + addresses(env.bcc, utf8) +
    ' ' + encodeNString(env.inReplyTo, utf8) + ' ' + encodeNString(env.messageId, utf8) + ')'
}

function addresses(list: readonly EnvelopeAddress[], utf8: boolean): string {
  if (!list.length) return 'NIL'
  let out = '('
  for (const a of list) {
    out += '(' + encodeNString(a.name, utf8) + ' ' + encodeNString(a.adl, utf8) + ' ' + encodeNString(a.mailbox, utf8) + ' ' + encodeNString(a.host, utf8) + ')'
  }
  return out + ')'
}
