import { AUTHENTICATED, type ImapCommand } from '../command.ts'

/** RFC 9051 §6.3.8. Unsubscribing a name that is not there is fine (nothing to do). */
export const unsubscribe: ImapCommand = {
  name: 'UNSUBSCRIBE',
  states: AUTHENTICATED,
  async run(session, args) {
    const name = args.mailbox()
    args.end()
    const folder = await session.store.folders.byPath(session.account, name)
    if (folder) await session.store.folders.subscribe(session.account, folder.id, false)
    session.tagged('OK', 'UNSUBSCRIBE completed')
  },
}
