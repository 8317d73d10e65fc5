import { AUTHENTICATED, type ImapCommand } from '../command.ts'

/** RFC 2342 / RFC 9051 §6.3.10: one personal namespace, delimiter "/". */
export const namespace: ImapCommand = {
  name: 'NAMESPACE',
  states: AUTHENTICATED,
  async run(session, args) {
    args.end()
    await session.untagged('NAMESPACE (("" "/")) NIL NIL')
    session.tagged('OK', 'NAMESPACE completed')
  },
}
