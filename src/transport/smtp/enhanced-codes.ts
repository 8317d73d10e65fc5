/**
 * smtp-server derives the RFC 3463 enhanced status code from the reply number alone, so every
 * 550 would say 5.1.1 even for "5.7.1 relaying denied". Our replies carry their own code
 * (`replies.ts`); this wraps `SMTPConnection#send` once so a text that already starts with an
 * enhanced code of the same class is sent as is. Texts without one are untouched.
 */
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js'

const ENHANCED_CODE = /^[245]\.\d{1,3}\.\d{1,3} /
const PATCHED = Symbol.for('tidings.smtp.enhancedCodes')

export function keepOwnEnhancedCodes(): void {
  const proto = SMTPConnection.prototype as unknown as Record<string | symbol, unknown>
  if (proto[PATCHED]) return
  const send = proto.send as (this: unknown, code: number, data: unknown, context?: unknown) => void
  proto.send = function (this: unknown, code: number, data: unknown, context?: unknown) {
    if (typeof data === 'string' && ENHANCED_CODE.test(data) && data[0] === String(code)[0]) context = false
    return send.call(this, code, data, context)
  }
  proto[PATCHED] = true
}
