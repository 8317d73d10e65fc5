import type { ImapCommand } from '../command.ts'
import { ImapError } from '../responses.ts'

/** RFC 9051 §6.2.1: OK in the clear, then the TLS handshake; pipelined plaintext is discarded. */
export const starttls: ImapCommand = {
  name: 'STARTTLS',
  states: ['notAuthenticated'],
  async run(session, args, call) {
    args.end()
    if (session.connection.secure) throw new ImapError('BAD', null, 'TLS is already active')
    session.tagged('OK', 'Begin TLS negotiation now')
    await session.respondNow(call.tag)
    try {
      await session.startTls()
    } catch {
      // A failed handshake leaves nothing to talk to: end the session quietly.
      session.state = { kind: 'logout' }
    }
  },
}
