import { SELECTED, type ImapCommand } from '../command.ts'
import { findMailbox } from '../find-mailbox.ts'
import { compressUids } from '../uid-set.ts'

/** RFC 9051 §6.4.7 with COPYUID (RFC 4315 UIDPLUS). */
export const copy: ImapCommand = {
  name: 'COPY',
  states: SELECTED,
  seqs: 'uses',
  uid: true,
  async run(session, args, call) {
    const view = session.selected
    const set = args.sequenceSet()
    const name = args.mailbox()
    args.end()
    const uids = view.resolve(set, call.uid, session.saved)
    const target = await findMailbox(session, name, { tryCreate: true })
    if (!uids.length) {
      session.tagged('OK', 'COPY completed (nothing to copy)')
      return
    }
    const result = await session.store.emails.copy(session.account, view.folder.id, uids, target.id)
    session.tagged('OK', `${copyUidCode(result)} COPY completed`)
  },
}

/** `[COPYUID uidvalidity source-uids dest-uids]`, the two sets in matching order (RFC 4315 §3). */
export function copyUidCode(result: { mapping: Array<{ from: number; to: number }>; uidValidity: number }): string {
  if (!result.mapping.length) return ''
  const from = result.mapping.map((m) => m.from)
  const to = result.mapping.map((m) => m.to)
  const ascending = to.every((v, i) => i === 0 || v > to[i - 1])
  const fmt = (list: number[]) => ascending ? compressUids(list) : list.join(',')
  return `[COPYUID ${result.uidValidity} ${fmt(from)} ${fmt(to)}]`
}
