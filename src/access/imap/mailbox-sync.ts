/**
 * Brings a session's view of its mailbox up to date and tells the client (RFC 9051 §7.4.1, §5.2):
 * expunges (`* n EXPUNGE`, or `* VANISHED` with QRESYNC, RFC 7162 §3.2.10), new messages
 * (`* n EXISTS`) and flag changes by others (`* n FETCH (UID FLAGS MODSEQ)`).
 * Expunges can be held back (during FETCH/STORE/SEARCH by sequence number); the rest is always safe.
 */
import type { ImapSession } from './session.ts'
import type { MailboxView } from './mailbox-view.ts'
import { flagList } from './flags.ts'
import { compressUids } from './uid-set.ts'

/** Messages whose metadata is read from the store at once while reporting flag changes. */
export const SYNC_CHUNK = 500

export async function syncMailbox(session: ImapSession, view: MailboxView, expunges: boolean): Promise<void> {
  const { store } = session
  const account = session.account
  const folderId = view.folder.id
  view.dirty = false
  const folder = await store.folders.get(account, folderId)
  if (!folder) {
    // Deleted under us (RFC 9051 §7.1.5 allows BYE when the state can't be kept).
    await session.untagged('BYE [CLOSED] The selected mailbox was deleted')
    session.state = { kind: 'logout' }
    session.connection.socket.end()
    return
  }

  if (expunges) {
    const gone = (await store.emails.expungedSince(account, folderId, view.expungeModseq)).filter((uid) => view.msnOf(uid) > 0)
    view.expungeModseq = Math.max(view.expungeModseq, folder.modseq)
    if (gone.length) {
      if (session.qresync) {
        view.remove(gone)
        await session.untagged(`VANISHED ${compressUids(gone)}`)
      } else {
        for (const msn of view.remove(gone)) await session.untagged(`${msn} EXPUNGE`)
      }
    }
  }

  const changed = await store.emails.changedSince(account, folderId, view.modseq)
  let top = view.modseq
  const last = view.uids.length ? view.uids[view.uids.length - 1] : 0
  const added: number[] = []
  const flagged: number[] = []
  for (const ref of changed) {
    top = Math.max(top, ref.modseq)
    if (ref.uid > last) added.push(ref.uid)
    else if (view.own.get(ref.uid) !== ref.modseq && view.msnOf(ref.uid) > 0) flagged.push(ref.uid)
  }
  view.own.clear()
  view.modseq = Math.max(top, folder.modseq)
  if (added.length) {
    added.sort((a, b) => a - b)
    for (const uid of added) if (uid > (view.uids[view.uids.length - 1] ?? 0)) view.uids.push(uid)
    await session.untagged(`${view.exists} EXISTS`)
    if (!session.rev2) await session.untagged('0 RECENT')
  }
  for (let i = 0; i < flagged.length; i += SYNC_CHUNK) {
    const infos = await store.emails.flags(account, folderId, flagged.slice(i, i + SYNC_CHUNK))
    for (const info of infos) {
      const msn = view.msnOf(info.uid)
      if (!msn) continue
      const modseq = session.condstore ? ` MODSEQ (${info.modseq})` : ''
      await session.untagged(`${msn} FETCH (UID ${info.uid} FLAGS ${flagList(info.keywords)}${modseq})`)
    }
  }
}
