/**
 * Two replies smtp-server gets wrong for us, fixed in one place by wrapping `SMTPConnection#send`
 * once (it is the single write site of every reply):
 * - it derives the RFC 3463 enhanced code from the reply number alone, so every 550 would say
 *   5.1.1 even for "5.7.1 relaying denied": a text that already starts with an enhanced code of
 *   the same class is sent as is (`replies.ts` texts all carry theirs);
 * - an over-long line is answered "421 Error: Command line too long"; RFC 5321 4.2.4 and
 *   4.5.3.1.4 call for 500. Its parser cannot resynchronise, so the connection still closes.
 */
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js'

const ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3} /
const LINE_TOO_LONG = 'Error: Command line too long'
const PATCHED = Symbol.for('tidings.smtp.sendPatched')

export function patchSmtpServerReplies(): void {
  const proto = SMTPConnection.prototype as unknown as Record<string | symbol, unknown>
  if (proto[PATCHED]) return
  const send = proto.send as (this: { close(): void }, code: number, data: unknown, context?: unknown) => void
  proto.send = function (this: { close(): void }, code: number, data: unknown, context?: unknown) {
    if (code === 421 && data === LINE_TOO_LONG) {
      send.call(this, 500, '5.5.6 Line too long (RFC 5321 4.5.3.1.4)', false)
      this.close()
      return
    }
    if (typeof data === 'string' && ENHANCED_CODE.test(data) && data[0] === String(code)[0]) context = false
    return send.call(this, code, data, context)
  }
  proto[PATCHED] = true
}
