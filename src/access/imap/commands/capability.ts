import { ANY_STATE, type ImapCommand } from '../command.ts'

/** RFC 9051 §6.1.1. */
export const capability: ImapCommand = {
  name: 'CAPABILITY',
  states: ANY_STATE,
  async run(session, args) {
    args.end()
    await session.untagged(`CAPABILITY ${session.capabilities().join(' ')}`)
    session.tagged('OK', 'CAPABILITY completed')
  },
}
