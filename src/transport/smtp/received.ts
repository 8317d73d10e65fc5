/**
 * The trace header this server adds (RFC 5321 4.4): who it came from, to whom, how (with the
 * RFC 3848 protocol keyword and the TLS version and cipher), and the queue id, with a date.
 */
import type { SMTPServerSession } from 'smtp-server'

export function receivedHeader(session: SMTPServerSession, options: { hostname: string; queueId: string; recipient: string | null; at: Date }): string {
  const helo = sanitize(session.hostNameAppearsAs || 'unknown')
  const rdns = session.clientHostname && !session.clientHostname.startsWith('[') ? sanitize(session.clientHostname) + ' ' : ''
  const ip = session.remoteAddress.replace(/^::ffff:/, '')
  const literal = ip.includes(':') ? `[IPv6:${ip}]` : `[${ip}]`
  const tls = session.tlsOptions ? ` (${sanitize(session.tlsOptions.version ?? 'TLS')} cipher ${sanitize(session.tlsOptions.name)})` : ''
  const auth = session.user ? ' (authenticated sender)' : ''
  const rcpt = options.recipient ? `\r\n\tfor <${sanitizeAddress(options.recipient)}>` : ''
  return `Received: from ${helo} (${rdns}${literal})${auth}\r\n\tby ${options.hostname} (Tidings) with ${protocol(session)}${tls}\r\n\tid ${options.queueId}${rcpt}; ${rfc5322Date(options.at)}`
}

/**
 * RFC 3848 keywords: ESMTP, ESMTPS (TLS), ESMTPA (auth), ESMTPSA (both); SMTP after HELO;
 * UTF8SMTP… when the transaction used SMTPUTF8 (RFC 6531 3.7.3).
 */
function protocol(session: SMTPServerSession): string {
  if (session.openingCommand === 'HELO') return 'SMTP'
  return (session.envelope.smtpUtf8 ? 'UTF8SMTP' : 'ESMTP') + (session.secure ? 'S' : '') + (session.user ? 'A' : '')
}

/** An envelope address may be UTF-8 (RFC 6531), and RFC 6532 headers may carry it as such. */
function sanitizeAddress(address: string): string {
  return String(address).replace(/[\x00-\x20\x7f<>()\\]/g, '?').slice(0, 320)
}

/** Client-chosen text inside our header: keep it printable, short and free of comment syntax. */
function sanitize(text: string): string {
  return String(text).replace(/[^\x21-\x7e]|[()\\]/g, '?').slice(0, 255)
}

/** RFC 5322 3.3 date-time, e.g. "Mon, 23 Nov 2026 16:27:32 +0000". */
export function rfc5322Date(at: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
  const p = (n: number) => String(n).padStart(2, '0')
  return `${days[at.getUTCDay()]}, ${at.getUTCDate()} ${months[at.getUTCMonth()]} ${at.getUTCFullYear()} ${p(at.getUTCHours())}:${p(at.getUTCMinutes())}:${p(at.getUTCSeconds())} +0000`
}
