import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import { findMailbox } from '../find-mailbox.ts'

/** RFC 9051 §6.3.7. */
export const subscribe: ImapCommand = {
  name: 'SUBSCRIBE',
  states: AUTHENTICATED,
  async run(session, args) {
    const name = args.mailbox()
    args.end()
    const folder = await findMailbox(session, name)
    await session.store.folders.subscribe(session.account, folder.id, true)
    session.tagged('OK', 'SUBSCRIBE completed')
  },
}
