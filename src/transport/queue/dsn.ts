/**
 * Delivery status notifications (RFC 3464): a multipart/report with a human part, the
 * message/delivery-status fields per recipient, and the original message (RET=FULL) or only its
 * headers (RET=HDRS) (RFC 3461 4.3). Sent from the null sender so they can never bounce back.
 */
import { randomBytes } from 'node:crypto'
import { rfc5322Date } from '../smtp/received.ts'
import type { QueuedMessage, QueuedRecipient } from './types.ts'

/** Past this size the original is returned as headers only, whatever RET says (mailbox bloat). */
const MAX_RETURNED_ORIGINAL = 10 * 1024 * 1024

export const DSN_ACTIONS = ['failed', 'delayed', 'delivered'] as const
export type DsnAction = (typeof DSN_ACTIONS)[number]

export interface DsnRecipient {
  recipient: QueuedRecipient
  action: DsnAction
  reply: string
  remoteMta: string | null
}

export interface DsnInput {
  hostname: string
  message: QueuedMessage
  /** The original bytes; null when the spool lost them (the report says so). */
  original: Uint8Array | null
  recipients: readonly DsnRecipient[]
  now: number
  /** delayed: when we give up. */
  expiresAt: number
}

/** The report as RFC 5322 bytes, ready to queue from the null sender to `message.sender`. */
export function buildDsn(input: DsnInput): Uint8Array {
  const { hostname, message, now } = input
  const boundary = `=_tidings_dsn_${randomBytes(12).toString('hex')}`
  const action = input.recipients[0].action
  const subject = action === 'failed' ? 'Undelivered Mail Returned to Sender'
    : action === 'delayed' ? 'Delivery Status Notification (Delay)' : 'Delivery Status Notification (Success)'
  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${hostname}>`,
    `To: <${message.sender}>`,
    `Subject: ${subject}`,
    `Date: ${rfc5322Date(new Date(now))}`,
    `Message-ID: <${randomBytes(8).toString('hex')}.${message.id}.dsn@${hostname}>`,
    // RFC 3834 5: automatic responses must not trigger other automatic responses.
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"`,
  ]
  const human = humanText(input, action)
  const perMessage = [
    `Reporting-MTA: dns; ${hostname}`,
    `X-Tidings-Queue-ID: ${message.id}`,
    ...(message.envid ? [`Original-Envelope-Id: ${xtextDecode(message.envid)}`] : []),
    `Arrival-Date: ${rfc5322Date(new Date(message.receivedAt))}`,
  ]
  const perRecipient = input.recipients.map((d) => [
    ...(d.recipient.orcpt ? [`Original-Recipient: ${addressType(d.recipient.orcpt)}`] : []),
    `Final-Recipient: rfc822; ${d.recipient.address}`,
    `Action: ${d.action}`,
    `Status: ${statusOf(d.reply, d.action)}`,
    ...(d.remoteMta ? [`Remote-MTA: dns; ${d.remoteMta}`] : []),
    ...(/^\d{3}/.test(d.reply) ? [`Diagnostic-Code: smtp; ${oneLine(d.reply)}`] : [`X-Tidings-Diagnostic: ${oneLine(d.reply)}`]),
    `Last-Attempt-Date: ${rfc5322Date(new Date(now))}`,
    ...(d.action === 'delayed' ? [`Will-Retry-Until: ${rfc5322Date(new Date(input.expiresAt))}`] : []),
  ].join('\r\n'))
  const status = [perMessage.join('\r\n'), ...perRecipient].join('\r\n\r\n')

  const original = input.original
  const full = original !== null && message.ret !== 'HDRS' && original.length <= MAX_RETURNED_ORIGINAL
  const returned = original === null ? null
    : full ? original : headersOf(original)
  const parts: Buffer[] = [
    Buffer.from(head.join('\r\n') + '\r\n\r\nThis is a delivery status notification in MIME format (RFC 3464).\r\n\r\n', 'utf8'),
    Buffer.from(`--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${human}\r\n`, 'utf8'),
    Buffer.from(`--${boundary}\r\nContent-Type: message/delivery-status\r\n\r\n${status}\r\n`, 'utf8'),
  ]
  if (returned) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Type: ${full ? 'message/rfc822' : 'text/rfc822-headers'}\r\n\r\n`, 'utf8'))
    parts.push(Buffer.from(returned))
    if (returned.length < 2 || returned[returned.length - 2] !== 0x0d || returned[returned.length - 1] !== 0x0a) parts.push(Buffer.from('\r\n'))
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'))
  return Buffer.concat(parts)
}

function humanText(input: DsnInput, action: DsnAction): string {
  const lines = action === 'failed'
    ? ['This is the mail system at ' + input.hostname + '.', '', 'Your message could not be delivered to one or more recipients.', 'It is attached below.', '']
    : action === 'delayed'
      ? ['This is the mail system at ' + input.hostname + '.', '', 'Your message has not been delivered yet. The mail system will keep', `trying until ${rfc5322Date(new Date(input.expiresAt))}. You do not need to resend it.`, '']
      : ['This is the mail system at ' + input.hostname + '.', '', 'Your message was delivered to the recipients below.', '']
  for (const d of input.recipients) lines.push(`<${d.recipient.address}>: ${oneLine(d.reply)}`)
  return lines.join('\r\n')
}

/** The RFC 3463 status: from the reply's enhanced code, else from its class. */
function statusOf(reply: string, action: DsnAction): string {
  const m = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply)
  if (m) return m[1]
  if (action === 'delivered') return '2.0.0'
  return reply.startsWith('5') ? '5.0.0' : '4.0.0'
}

/** "rfc822;a+2Bb@x" (RFC 3461 4.2, xtext) → "rfc822; a+b@x". */
function addressType(orcpt: string): string {
  const i = orcpt.indexOf(';')
  if (i < 0) return `rfc822; ${xtextDecode(orcpt)}`
  return `${orcpt.slice(0, i).trim()}; ${xtextDecode(orcpt.slice(i + 1).trim())}`
}

function xtextDecode(text: string): string {
  return text.replace(/\+([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))).replace(/[\r\n]/g, ' ')
}

function headersOf(bytes: Uint8Array): Uint8Array {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const end = buf.indexOf('\r\n\r\n')
  return end === -1 ? buf : buf.subarray(0, end + 4)
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 500)
}
