import type { Envelope } from '../mime.ts'
import { parseAddressList } from './addresses.ts'
import { firstField } from './header-block.ts'
import type { HeaderField } from './header-block.ts'

/**
 * The IMAP ENVELOPE of a header block (RFC 9051 7.5.2): raw strings (encoded-words kept, as IMAP
 * sends them); Sender and Reply-To fall back to From when absent or empty, as the RFC requires.
 */
export function buildEnvelope(fields: readonly HeaderField[]): Envelope {
  const from = parseAddressList(firstField(fields, 'from'))
  const sender = parseAddressList(firstField(fields, 'sender'))
  const replyTo = parseAddressList(firstField(fields, 'reply-to'))
  return {
    date: firstField(fields, 'date'),
    subject: firstField(fields, 'subject'),
    from,
    sender: sender.length > 0 ? sender : from,
    replyTo: replyTo.length > 0 ? replyTo : from,
    to: parseAddressList(firstField(fields, 'to')),
    cc: parseAddressList(firstField(fields, 'cc')),
    bcc: parseAddressList(firstField(fields, 'bcc')),
    inReplyTo: firstField(fields, 'in-reply-to'),
    messageId: firstField(fields, 'message-id'),
  }
}
