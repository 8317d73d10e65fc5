import { SELECTED, type ImapCommand } from '../command.ts'
import { ImapError } from '../responses.ts'
import { reportExpunged } from '../report-expunged.ts'
import type { ImapSession } from '../session.ts'

/** RFC 9051 §6.4.3 and UID EXPUNGE (RFC 4315 §2.1): removes \Deleted messages (of the set). */
export const expunge: ImapCommand = {
  name: 'EXPUNGE',
  states: SELECTED,
  uid: true,
  async run(session, args, call) {
    const view = session.selected
    const set = call.uid ? args.sequenceSet() : null
    args.end()
    if (view.readOnly) throw new ImapError('NO', 'CANNOT', 'Mailbox is read-only')
    const limit = set ? new Set(view.resolve(set, true, session.saved)) : null
    const removed = await expungeDeleted(session, limit)
    await reportExpunged(session, removed)
    session.tagged('OK', 'EXPUNGE completed')
  },
}

/** Expunges the \Deleted messages of the selected mailbox (only those in `limit` when given). */
export async function expungeDeleted(session: ImapSession, limit: Set<number> | null): Promise<number[]> {
  const view = session.selected
  let uids = await session.store.emails.search(session.account, view.folder.id, { keyword: '$deleted', present: true })
  uids = uids.filter((uid) => view.msnOf(uid) > 0 && (!limit || limit.has(uid)))
  if (!uids.length) return []
  return session.store.emails.expunge(session.account, view.folder.id, uids)
}
