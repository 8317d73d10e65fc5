import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import { ImapError } from '../responses.ts'
import { findMailbox } from '../find-mailbox.ts'

/** RFC 9051 §6.3.5. INBOX cannot be deleted; a folder with children is refused by the store. */
export const del: ImapCommand = {
  name: 'DELETE',
  states: AUTHENTICATED,
  async run(session, args) {
    const name = args.mailbox()
    args.end()
    if (name === 'INBOX') throw new ImapError('NO', 'CANNOT', 'INBOX cannot be deleted')
    const folder = await findMailbox(session, name)
    if (session.state.kind === 'selected' && session.selected.folder.id === folder.id) session.unselect()
    await session.store.folders.remove(session.account, folder.id)
    session.tagged('OK', 'DELETE completed')
  },
}
