import { SELECTED, type ImapCommand } from '../command.ts'
import { ImapError } from '../responses.ts'
import { findMailbox } from '../find-mailbox.ts'
import { copyUidCode } from './copy.ts'
import { reportExpunged } from '../report-expunged.ts'

/** RFC 6851: COPYUID first (untagged), then the expunges, then OK. */
export const move: ImapCommand = {
  name: 'MOVE',
  states: SELECTED,
  uid: true,
  async run(session, args, call) {
    const view = session.selected
    const set = args.sequenceSet()
    const name = args.mailbox()
    args.end()
    if (view.readOnly) throw new ImapError('NO', 'CANNOT', 'Mailbox is read-only')
    const uids = view.resolve(set, call.uid, session.saved)
    const target = await findMailbox(session, name, { tryCreate: true })
    if (!uids.length) {
      session.tagged('OK', 'MOVE completed (nothing to move)')
      return
    }
    if (target.id === view.folder.id) throw new ImapError('NO', 'CANNOT', 'Source and destination are the same')
    const result = await session.store.emails.move(session.account, view.folder.id, uids, target.id)
    const code = copyUidCode(result)
    if (code) await session.untagged(`OK ${code} Moved`)
    await reportExpunged(session, result.mapping.map((m) => m.from))
    session.tagged('OK', 'MOVE completed')
  },
}
