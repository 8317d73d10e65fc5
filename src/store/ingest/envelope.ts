import type { Envelope, EnvelopeAddress } from '../mime.ts'
import { parseAddressList } from './addresses.ts'
import { allFields, lastField } from './header-block.ts'
import type { HeaderField } from './header-block.ts'

/**
 * The IMAP ENVELOPE of a header block (RFC 9051 7.5.2): raw strings (encoded-words kept, as IMAP
 * sends them); Sender and Reply-To fall back to From when absent or empty, as the RFC requires.
 * A field that should appear once but appears more often is read as Dovecot reads it: the last
 * string wins (the instance DKIM signs), and every address of repeated address fields is listed,
 * so a second From: cannot hide behind the first.
 */
export function buildEnvelope(fields: readonly HeaderField[]): Envelope {
  const from = addresses(fields, 'from')
  const sender = addresses(fields, 'sender')
  const replyTo = addresses(fields, 'reply-to')
  return {
    date: lastField(fields, 'date'),
    subject: lastField(fields, 'subject'),
    from,
    sender: sender.length > 0 ? sender : from,
    replyTo: replyTo.length > 0 ? replyTo : from,
    to: addresses(fields, 'to'),
    cc: addresses(fields, 'cc'),
    bcc: addresses(fields, 'bcc'),
    inReplyTo: lastField(fields, 'in-reply-to'),
    messageId: lastField(fields, 'message-id'),
  }
}

function addresses(fields: readonly HeaderField[], name: string): EnvelopeAddress[] {
  const values = allFields(fields, name)
  return values.length === 1 ? parseAddressList(values[0]) : values.flatMap((value) => parseAddressList(value))
}
