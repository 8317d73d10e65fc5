import type { Envelope, EnvelopeAddress } from '../../../store/mime.ts'
import { encodeNString } from '../wire/encoder.ts'

/** ENVELOPE (RFC 9051 §7.5.2): strings raw as in the header (encoded-words kept). */
export function encodeEnvelope(env: Envelope, utf8: boolean): string {
  const s = (v: string | null) => encodeNString(v, utf8)
  const from = addresses(env.from, utf8)
  // Sender and Reply-To default to From (RFC 9051 §7.5.2).
  const sender = env.sender.length ? addresses(env.sender, utf8) : from
  const replyTo = env.replyTo.length ? addresses(env.replyTo, utf8) : from
  return `(${s(env.date)} ${s(env.subject)} ${from} ${sender} ${replyTo} ${addresses(env.to, utf8)} ${addresses(env.cc, utf8)} ${addresses(env.bcc, utf8)} ${s(env.inReplyTo)} ${s(env.messageId)})`
}

function addresses(list: readonly EnvelopeAddress[], utf8: boolean): string {
  if (!list.length) return 'NIL'
  const s = (v: string | null) => encodeNString(v, utf8)
  return '(' + list.map((a) => `(${s(a.name)} ${s(a.adl)} ${s(a.mailbox)} ${s(a.host)})`).join('') + ')'
}
