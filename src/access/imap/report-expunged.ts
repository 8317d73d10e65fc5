import type { ImapSession } from './session.ts'
import { compressUids } from './uid-set.ts'

/** This session's own expunges: `* n EXPUNGE` each, or one `* VANISHED` with QRESYNC (RFC 7162 §3.2.10). */
export async function reportExpunged(session: ImapSession, uids: readonly number[]): Promise<void> {
  const view = session.selected
  const present = [...uids].filter((uid) => view.msnOf(uid) > 0).sort((a, b) => a - b)
  if (!present.length) return
  if (session.qresync) {
    view.remove(present)
    await session.untagged(`VANISHED ${compressUids(present)}`)
    return
  }
  for (const msn of view.remove(present)) await session.untagged(`${msn} EXPUNGE`)
}
