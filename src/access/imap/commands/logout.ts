import { ANY_STATE, type ImapCommand } from '../command.ts'

/** RFC 9051 §6.1.3: BYE, then the tagged OK, then close. */
export const logout: ImapCommand = {
  name: 'LOGOUT',
  states: ANY_STATE,
  async run(session, args, call) {
    args.end()
    await session.untagged('BYE Tidings IMAP logging out')
    session.tagged('OK', 'LOGOUT completed')
    await session.respondNow(call.tag)
    session.state = { kind: 'logout' }
  },
}
