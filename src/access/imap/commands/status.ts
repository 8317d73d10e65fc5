import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import { findMailbox } from '../find-mailbox.ts'
import { parseStatusItems, writeStatus } from '../status-items.ts'

/** RFC 9051 §6.3.11. */
export const status: ImapCommand = {
  name: 'STATUS',
  states: AUTHENTICATED,
  async run(session, args) {
    const name = args.mailbox()
    const items = parseStatusItems(args.list('status items'))
    args.end()
    const folder = await findMailbox(session, name)
    await writeStatus(session, folder, items)
    session.tagged('OK', 'STATUS completed')
  },
}
