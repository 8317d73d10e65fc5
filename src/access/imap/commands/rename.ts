import { AUTHENTICATED, type ImapCommand } from '../command.ts'
import { ImapError } from '../responses.ts'
import { findMailbox } from '../find-mailbox.ts'
import { validMailboxName } from './create.ts'

/**
 * RFC 9051 §6.3.6. Renaming INBOX moves its messages into a new mailbox and leaves INBOX empty;
 * the store does that (`folders.rename` on the inbox).
 */
export const rename: ImapCommand = {
  name: 'RENAME',
  states: AUTHENTICATED,
  async run(session, args) {
    const from = args.mailbox()
    const to = args.mailbox().replace(/\/+$/, '')
    args.end()
    if (!validMailboxName(to)) throw new ImapError('NO', 'CANNOT', 'Invalid mailbox name')
    if (to === 'INBOX') throw new ImapError('NO', 'ALREADYEXISTS', 'INBOX exists')
    const folder = await findMailbox(session, from)
    if (await session.store.folders.byPath(session.account, to)) throw new ImapError('NO', 'ALREADYEXISTS', 'Target mailbox exists')
    await session.store.folders.rename(session.account, folder.id, to)
    if (session.state.kind === 'selected' && session.selected.folder.id === folder.id) {
      // INBOX stays selected (now empty); another renamed mailbox is simply re-read next sync.
      session.selected.dirty = true
    }
    session.tagged('OK', 'RENAME completed')
  },
}
